// The parameters of a builtin, read from its TL signature in builtins.def (the single table):
// names, types, default values and the variadic tail. Used by the compiler to map named and
// omitted arguments to CALLB's positional ones, and by the checker and the LSP for signatures.
#pragma once

#include <string_view>
#include <vector>

#include "vm/bytecode/builtins.h"

namespace tl {

struct BuiltinParam {
  std::string_view name;
  std::string_view type;           // "Tensor", "int", "any", ...
  std::string_view default_value;  // TL literal text ("-1", "none", "\"gpu\""); empty: required
  bool variadic = false;           // `name: type...`
  bool has_default() const { return !default_value.empty(); }
};

struct BuiltinSignature {
  std::vector<BuiltinParam> params;
  std::string_view result;  // "Tensor", "none", ...
};

// Parses "(x: Tensor, dim: int = -1) -> Tensor". The table is ours, so a malformed signature is a
// programming error: the test over every row of builtins.def guards it.
BuiltinSignature parse_builtin_signature(std::string_view signature);

inline BuiltinSignature builtin_signature(Builtin b) {
  return parse_builtin_signature(builtin_info(b).signature);
}

}  // namespace tl
