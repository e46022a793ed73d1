#include "compiler/sema/types.h"

#include <fmt/format.h>

#include <array>

#include "vm/tensor/shape.h"

namespace tl::sema {

bool fits_tensor_limit(const std::vector<Dim>& dims) {
  int64_t nonzero = 1;
  for (const Dim& d : dims) {
    if (!d.is_const() || d.value <= 0) continue;
    if (__builtin_mul_overflow(nonzero, d.value, &nonzero) || nonzero > kMaxTensorElements)
      return false;
  }
  return true;
}

std::optional<int64_t> const_product(const std::vector<Dim>& dims) {
  int64_t product = 1;
  for (const Dim& d : dims)
    if (d.is_const() && __builtin_mul_overflow(product, d.value, &product)) return std::nullopt;
  return product;
}

bool Dim::same(const Dim& o) const {
  if (is_const() && o.is_const()) return value == o.value;
  if (is_var() && o.is_var()) return name == o.name;
  return false;
}

std::string Dim::to_string() const {
  switch (kind) {
    case Kind::Const:
      return std::to_string(value);
    case Kind::Var:
      return name;
    case Kind::Unknown:
      return "?";
  }
  return "?";
}

bool is_empty_list(const Type& t) {
  return t.is(TypeKind::List) && t.rank_known && !t.dims.empty() && t.dims[0].is_const() &&
         t.dims[0].value == 0;
}

Type concat_strings(const Type& l, const Type& r) {
  using Text = Type::Text;
  if (l.text == Text::Unknown || r.text == Text::Unknown) return Type::of(TypeKind::String);
  if (l.text == Text::Known && r.text == Text::Known) return Type::string(l.path + r.path);
  // A pattern: a '*' of a known part would read as a wildcard.
  for (const Type* t : {&l, &r})
    if (t->text == Text::Known && t->path.find('*') != std::string::npos)
      return Type::of(TypeKind::String);
  return Type::string(l.path + r.path, Text::Pattern);
}

std::string_view type_kind_name(TypeKind k) {
  switch (k) {
    case TypeKind::Unknown:
      return "unknown";
    case TypeKind::None:
      return "none";
    case TypeKind::Int:
      return "int";
    case TypeKind::Float:
      return "float";
    case TypeKind::Bool:
      return "bool";
    case TypeKind::String:
      return "string";
    case TypeKind::Shape:
      return "Shape";
    case TypeKind::Model:
      return "Model";
    case TypeKind::ModelPath:
      return "model path";
    case TypeKind::Map:
      return "Map";
    case TypeKind::List:
      return "list";
    case TypeKind::Range:
      return "range";
    case TypeKind::Function:
      return "function";
    case TypeKind::Tensor:
      return "float16 tensor";
  }
  return "unknown";
}

static std::string dims_string(const std::vector<Dim>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += dims[i].to_string();
  }
  return s + "]";
}

std::string Type::to_string() const {
  switch (kind) {
    case TypeKind::Tensor:
      return rank_known ? "float16" + dims_string(dims) : "float16[...]";
    case TypeKind::Shape:
      return rank_known ? "Shape " + dims_string(dims) : "Shape";
    case TypeKind::List:
      return rank_known ? "list " + dims_string(dims) : "list";
    case TypeKind::ModelPath:
      return fmt::format("model path `{}`", path);
    default:
      return std::string(type_kind_name(kind));
  }
}

ElementClass classify_element(std::string_view name) {
  if (name == "float16" || name == "f16") return ElementClass::F16;
  static constexpr std::array kOther = {"float32", "float64", "bfloat16", "f32", "f64", "bf16"};
  for (std::string_view o : kOther)
    if (name == o) return ElementClass::OtherFloat;
  static constexpr std::array kInt = {"int8",   "int16",  "int32", "int64", "uint8", "uint16",
                                      "uint32", "uint64", "i8",    "i16",   "i32",   "i64",
                                      "u8",     "u16",    "u32",   "u64",   "bool"};
  for (std::string_view o : kInt)
    if (name == o) return ElementClass::Integer;
  return ElementClass::Unknown;
}

}  // namespace tl::sema
