// Run-time values of the VM: 16 bytes, a tag and a payload; heap objects are reference counted
// (intrusively, so copying a scalar never touches an atomic or a control block).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vm/tensor/shape.h"
#include "vm/tensor/tensor.h"

namespace tl {

class Model;

enum class ValueTag : uint8_t {
  None,
  Int,
  Float,
  Bool,
  Function,  // inline payload
  String,
  Shape,
  Tensor,
  Model,
  List,
  Map  // heap objects (tag >= String)
};
const char* tag_name(ValueTag t);  // "int", "float", "Tensor", ...

struct Obj {
  uint32_t refs = 0;
  virtual ~Obj() = default;
};

class Value;

struct StringObj : Obj {
  explicit StringObj(std::string v) : s(std::move(v)) {}
  std::string s;
};
struct ShapeObj : Obj {
  explicit ShapeObj(Shape v) : shape(std::move(v)) {}
  Shape shape;
};
struct TensorObj : Obj {
  explicit TensorObj(Tensor v) : t(std::move(v)) {}
  Tensor t;
};
// A model file plus the tensors already uploaded from it, so that weights upload once.
// A path value (`m.blk[i]`) is a ModelObj with a prefix of tensor names, sharing the file and the
// uploaded tensors with the model it came from.
struct ModelObj : Obj {
  using Uploaded = std::map<std::string, Tensor, std::less<>>;
  explicit ModelObj(std::shared_ptr<tl::Model> m)
      : model(std::move(m)), uploaded(std::make_shared<Uploaded>()) {}
  ModelObj(const ModelObj& parent, std::string path)
      : model(parent.model), uploaded(parent.uploaded), prefix(std::move(path)) {}
  std::shared_ptr<tl::Model> model;
  std::shared_ptr<Uploaded> uploaded;
  std::string prefix;  // "" for the model itself, else "blk.0": names below it are relative
};
struct ListObj;
struct MapObj;

class Value {
 public:
  Value() { u_.i = 0; }
  ~Value() {
    if (is_obj()) release();
  }
  Value(const Value& o) : tag_(o.tag_), u_(o.u_) {
    if (is_obj()) ++u_.o->refs;
  }
  Value(Value&& o) noexcept : tag_(o.tag_), u_(o.u_) { o.tag_ = ValueTag::None; }
  Value& operator=(const Value& o) {
    // Self-assignment (`MOVE a a` in hostile bytecode) must keep the value: release() clears the
    // tag that the copy below would then read back as None, leaking the object.
    const ValueTag tag = o.tag_;
    const auto u = o.u_;
    if (o.is_obj()) ++o.u_.o->refs;
    if (is_obj()) release();
    tag_ = tag, u_ = u;
    return *this;
  }
  Value& operator=(Value&& o) noexcept {
    if (this != &o) {
      if (is_obj()) release();
      tag_ = o.tag_, u_ = o.u_;
      o.tag_ = ValueTag::None;
    }
    return *this;
  }

  static Value integer(int64_t v) {
    Value r;
    r.tag_ = ValueTag::Int;
    r.u_.i = v;
    return r;
  }
  static Value number(double v) {
    Value r;
    r.tag_ = ValueTag::Float;
    r.u_.f = v;
    return r;
  }
  static Value boolean(bool v) {
    Value r;
    r.tag_ = ValueTag::Bool;
    r.u_.i = v;
    return r;
  }
  static Value function(uint32_t fn) {
    Value r;
    r.tag_ = ValueTag::Function;
    r.u_.i = fn;
    return r;
  }
  static Value string(std::string s) {
    return object(ValueTag::String, new StringObj(std::move(s)));
  }
  static Value shape(Shape s) { return object(ValueTag::Shape, new ShapeObj(std::move(s))); }
  static Value tensor(Tensor t) { return object(ValueTag::Tensor, new TensorObj(std::move(t))); }
  static Value model(std::shared_ptr<tl::Model> m) {
    return object(ValueTag::Model, new ModelObj(std::move(m)));
  }
  static Value model_path(const ModelObj& parent, std::string prefix) {
    return object(ValueTag::Model, new ModelObj(parent, std::move(prefix)));
  }
  static Value list(std::vector<Value> items);
  static Value map();

  ValueTag tag() const { return tag_; }
  bool is_obj() const { return tag_ >= ValueTag::String; }
  bool is_none() const { return tag_ == ValueTag::None; }
  bool is_int() const { return tag_ == ValueTag::Int; }
  bool is_float() const { return tag_ == ValueTag::Float; }
  bool is_number() const { return tag_ == ValueTag::Int || tag_ == ValueTag::Float; }
  bool is_bool() const { return tag_ == ValueTag::Bool; }
  bool is_string() const { return tag_ == ValueTag::String; }
  bool is_tensor() const { return tag_ == ValueTag::Tensor; }
  // A heap object that no other value references (copy-on-write checks).
  bool unique() const { return is_obj() && u_.o->refs == 1; }

  int64_t as_int() const { return u_.i; }
  double as_float() const { return u_.f; }
  double as_number() const { return tag_ == ValueTag::Int ? static_cast<double>(u_.i) : u_.f; }
  bool as_bool() const { return u_.i != 0; }
  uint32_t as_function() const { return static_cast<uint32_t>(u_.i); }
  const std::string& as_string() const { return static_cast<StringObj*>(u_.o)->s; }
  const Shape& as_shape() const { return static_cast<ShapeObj*>(u_.o)->shape; }
  const Tensor& as_tensor() const { return static_cast<TensorObj*>(u_.o)->t; }
  ModelObj& as_model() const { return *static_cast<ModelObj*>(u_.o); }
  ListObj& as_list() const { return *reinterpret_cast<ListObj*>(u_.o); }
  MapObj& as_map() const { return *reinterpret_cast<MapObj*>(u_.o); }

  // In-place scalar stores for the interpreter's hot paths.
  void set_int(int64_t v) {
    if (tag_ != ValueTag::Int) [[unlikely]] {  // an int overwriting an int keeps its tag
      if (is_obj()) release();
      tag_ = ValueTag::Int;
    }
    u_.i = v;
  }
  void set_float(double v) {
    if (is_obj()) release();
    tag_ = ValueTag::Float, u_.f = v;
  }
  void set_bool(bool v) {
    if (is_obj()) release();
    tag_ = ValueTag::Bool, u_.i = v;
  }
  void set_none() {
    if (is_obj()) release();
    tag_ = ValueTag::None, u_.i = 0;
  }

 private:
  static Value object(ValueTag t, Obj* o) {
    Value r;
    r.tag_ = t, r.u_.o = o;
    ++o->refs;
    return r;
  }
  void release();  // drops one reference (out of line: the cold path)

  ValueTag tag_ = ValueTag::None;
  union {
    int64_t i;
    double f;
    Obj* o;
  } u_;
};

struct ListObj : Obj {
  std::vector<Value> items;
};
// Insertion-ordered (printing and save_model keep the order written); small maps, linear lookup.
struct MapObj : Obj {
  std::vector<std::pair<Value, Value>> items;
  Value* find(const Value& key);
};

inline Value Value::list(std::vector<Value> items) {
  auto* l = new ListObj;
  l->items = std::move(items);
  return object(ValueTag::List, l);
}
inline Value Value::map() {
  return object(ValueTag::Map, new MapObj);
}

// Python-style truthiness: false, none, 0, 0.0, "" and empty containers are false.
bool truthy(const Value& v);
// Equality as `==`: numbers by value across int/float, strings, bools, shapes; none == none;
// different kinds are unequal; tensors and models by identity.
bool values_equal(const Value& a, const Value& b);

}  // namespace tl
