#include "vm/runtime/value.h"

namespace tl {

const char* tag_name(ValueTag t) {
  switch (t) {
    case ValueTag::None:
      return "none";
    case ValueTag::Int:
      return "int";
    case ValueTag::Float:
      return "float";
    case ValueTag::Bool:
      return "bool";
    case ValueTag::Function:
      return "function";
    case ValueTag::String:
      return "string";
    case ValueTag::Shape:
      return "Shape";
    case ValueTag::Tensor:
      return "Tensor";
    case ValueTag::Model:
      return "Model";
    case ValueTag::List:
      return "list";
    case ValueTag::Map:
      return "map";
  }
  return "?";
}

void Value::release() {
  if (--u_.o->refs == 0) delete u_.o;
  tag_ = ValueTag::None;
}

Value* MapObj::find(const Value& key) {
  for (auto& [k, v] : items)
    if (values_equal(k, key)) return &v;
  return nullptr;
}

bool truthy(const Value& v) {
  switch (v.tag()) {
    case ValueTag::None:
      return false;
    case ValueTag::Int:
    case ValueTag::Bool:
      return v.as_int() != 0;
    case ValueTag::Float:
      return v.as_float() != 0.0;
    case ValueTag::String:
      return !v.as_string().empty();
    case ValueTag::List:
      return !v.as_list().items.empty();
    case ValueTag::Map:
      return !v.as_map().items.empty();
    default:
      return true;
  }
}

bool values_equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
    return a.as_number() == b.as_number();
  }
  if (a.tag() != b.tag()) return false;
  switch (a.tag()) {
    case ValueTag::None:
      return true;
    case ValueTag::Bool:
    case ValueTag::Function:
      return a.as_int() == b.as_int();
    case ValueTag::String:
      return a.as_string() == b.as_string();
    case ValueTag::Shape:
      return a.as_shape() == b.as_shape();
    case ValueTag::List: {
      const auto &x = a.as_list().items, &y = b.as_list().items;
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!values_equal(x[i], y[i])) return false;
      return true;
    }
    case ValueTag::Tensor:
      return a.as_tensor().buffer == b.as_tensor().buffer &&
             a.as_tensor().shape == b.as_tensor().shape;
    case ValueTag::Model:
      return &a.as_model() == &b.as_model();
    case ValueTag::Map:
      return &a.as_map() == &b.as_map();
    default:
      return false;
  }
}

}  // namespace tl
