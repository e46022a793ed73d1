// The builtins' parameter lists, read from builtins.def's TL signature strings with the syntax
// layer's lexer and parser (never re-typed here), once per process.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compiler/sema/types.h"
#include "vm/bytecode/builtins.h"

namespace tl::sema {

// A parameter type of the table: Tensor, int, float, bool, string, Shape, Model, Map or any.
enum class ParamType : uint8_t { Tensor, Int, Float, Bool, String, Shape, Model, Map, Any };
std::string_view param_type_name(ParamType t);

struct BuiltinParam {
  std::string name;
  ParamType type = ParamType::Any;
  bool has_default = false;
  std::string default_text;  // as written in the table ("-1", "none", "\"gpu\"")
  bool variadic = false;     // `...`: takes every remaining positional argument
};

struct BuiltinSignature {
  Builtin id{};
  std::string_view name;
  std::vector<BuiltinParam> params;
  ParamType result = ParamType::Any;
  bool result_none = false;  // `-> none`
};

// The parsed table, indexed by Builtin. A malformed signature string in builtins.def is a
// programming error: it aborts with a message naming the builtin (a unit test parses them all).
const std::vector<BuiltinSignature>& builtin_signatures();
const BuiltinSignature& builtin_signature(Builtin b);

// The shape rule of a builtin in one line, for docs/builtins.md, hover and completion. Lives next
// to the rules themselves (builtin_rules.cpp), in a switch without a default.
std::string_view shape_rule_summary(Builtin b);

// Whether a value of type `t` may be passed where the table says `p` (unknown always may).
bool accepts(ParamType p, const Type& t);

}  // namespace tl::sema
