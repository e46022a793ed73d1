// The checker's types: scalars, strings, shapes, models, maps, lists, functions and float16 tensors
// whose dimensions are each a constant, a size variable or unknown.
//
// Types are values (a few words plus a small vector of dims); every expression of an analysed
// file gets one (Analysis::expr_types). A dimension remembers where its size came from (an
// Origin: "`input`", "`X`", "`model.get_tensor(\"w\")`") so that mismatch messages can name both
// sides and point at the binding site.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/syntax/source.h"

namespace tl {
struct ModelHeader;
}

namespace tl::sema {

using OriginId = uint32_t;
inline constexpr OriginId kNoOrigin = 0;

// Where a size came from: shown as "(from `label`)" with a note at `range`.
struct Origin {
  std::string label;
  SourceRange range;
};

struct Dim {
  enum class Kind : uint8_t { Const, Var, Unknown };
  Kind kind = Kind::Unknown;
  int64_t value = 0;  // Const
  std::string name;   // Var: the size variable as written in a signature ("D_in")
  OriginId origin = kNoOrigin;

  static Dim constant(int64_t v, OriginId o = kNoOrigin) { return {Kind::Const, v, {}, o}; }
  static Dim var(std::string n, OriginId o = kNoOrigin) { return {Kind::Var, 0, std::move(n), o}; }
  static Dim unknown(OriginId o = kNoOrigin) { return {Kind::Unknown, 0, {}, o}; }
  bool is_const() const { return kind == Kind::Const; }
  bool is_var() const { return kind == Kind::Var; }
  bool is_unknown() const { return kind == Kind::Unknown; }
  // Same size as far as the checker knows (constants equal, or the same size variable).
  bool same(const Dim& o) const;
  // Surely different (two different constants).
  bool differs(const Dim& o) const { return is_const() && o.is_const() && value != o.value; }
  std::string to_string() const;  // "4", "N", "?"
};

struct MapField;
// The entries of a map whose keys the checker knows (a literal with constant string keys).
using MapFields = std::vector<MapField>;

enum class TypeKind : uint8_t {
  Unknown,  // not known statically (also after an error: no cascades)
  None,
  Int,
  Float,
  Bool,
  String,
  Shape,      // dims = the shape's elements
  Model,      // model = the file header when known
  ModelPath,  // `model.blk[0]`: a prefix of tensor names (path), resolved on use
  Map,
  List,      // dims = the nested shape of a numeric list literal when known; elem = element kind
  Range,     // range(...): iterates ints
  Function,  // a user function (fn = its index in Analysis::functions)
  Tensor,    // float16; dims valid when rank_known
};
std::string_view type_kind_name(TypeKind k);  // "int", "float16 tensor", ...

struct Type {
  // String: whether `path` holds its value, a compile-time constant (literals, `+` of constants,
  // str() of a known int), or a pattern where each '*' stands for the digits of an int the
  // checker does not know (`"blk." + str(i)` with `i` a loop variable).
  enum class Text : uint8_t { Unknown, Known, Pattern };

  // The small members first, packed: a Type is copied everywhere (112 bytes on x86-64).
  TypeKind kind = TypeKind::Unknown;
  bool rank_known = false;                   // Tensor, Shape, List: dims holds every dimension
  TypeKind elem = TypeKind::Unknown;         // List
  Text text = Text::Unknown;                 // String
  uint32_t fn = 0;                           // Function
  std::vector<Dim> dims;                     // Tensor/Shape/List dims; Int: [value] when known
  std::shared_ptr<const ModelHeader> model;  // Model, ModelPath (null: header not known)
  std::string path;                          // ModelPath; String: its value (see text)
  // List: the values of a list of constant strings (args() when the program's arguments are
  // given to the checker); null when not known.
  std::shared_ptr<const std::vector<std::string>> strings;
  // Map: its entries' types by key, from a map literal with constant string keys (null: not
  // known). The checker reads `m["k"]` from them (see Checker::map_field).
  std::shared_ptr<const MapFields> fields;

  static Type unknown() { return {}; }
  static Type of(TypeKind k) {
    Type t;
    t.kind = k;
    return t;
  }
  static Type tensor(std::vector<Dim> d) {
    Type t;
    t.kind = TypeKind::Tensor;
    t.rank_known = true;
    t.dims = std::move(d);
    return t;
  }
  static Type tensor_unknown_rank() { return of(TypeKind::Tensor); }
  static Type shape(std::vector<Dim> d) {
    Type t = tensor(std::move(d));
    t.kind = TypeKind::Shape;
    return t;
  }
  static Type string(std::string value, Text text = Text::Known) {
    Type t = of(TypeKind::String);
    t.path = std::move(value);
    t.text = text;
    return t;
  }
  static Type integer(Dim value) {
    Type t = of(TypeKind::Int);
    t.dims.push_back(std::move(value));
    return t;
  }

  bool is(TypeKind k) const { return kind == k; }
  bool is_unknown() const { return kind == TypeKind::Unknown; }
  bool is_tensor() const { return kind == TypeKind::Tensor; }
  bool is_number() const { return kind == TypeKind::Int || kind == TypeKind::Float; }
  size_t rank() const { return dims.size(); }
  // Int with a statically known value.
  const Dim* int_value() const {
    return kind == TypeKind::Int && dims.size() == 1 ? &dims[0] : nullptr;
  }
  // "float16[4, N]", "float16[?]", "float16" (rank unknown), "int", "Model(linear.safetensors)".
  std::string to_string() const;
};

struct MapField {
  std::string key;
  Type type;
};

bool is_empty_list(const Type& t);  // a list known to have no items (`[]`)

// `l + r` of two strings: its value when both are known, a pattern when both are known or
// patterns (a known part holding a '*' of its own makes it unknown), else unknown.
Type concat_strings(const Type& l, const Type& r);

// False when the constant dims of `dims` alone multiply past kMaxTensorElements (vm/tensor/shape.h,
// counting nonzero dims as the run time does): such a tensor can never be made.
bool fits_tensor_limit(const std::vector<Dim>& dims);
// The product of the constant dims, or nullopt when it overflows int64.
std::optional<int64_t> const_product(const std::vector<Dim>& dims);

// A model path `pattern` (`blk.*.attn_q`, where `*` stands for any one segment) as a prefix of the
// tensor name `name`: the length of the matched part with its '.', or nullopt.
std::optional<size_t> path_prefix_length(std::string_view pattern, std::string_view name);

// A tensor element type name as written in an annotation.
enum class ElementClass : uint8_t { F16, OtherFloat, Integer, Unknown };
ElementClass classify_element(std::string_view name);

}  // namespace tl::sema
