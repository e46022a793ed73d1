// Argument counts of each builtin as CALLB passes them, derived at compile time from the
// signatures in builtins.def (the single table).
//
// Convention: the compiler passes arguments positionally in signature order, filling in every
// omitted default from the table. Non-variadic builtins accept [required, all] arguments (the VM
// fills missing trailing defaults too). For a variadic builtin, every parameter other than the
// variadic one is passed explicitly (after the variadic run for `concat`'s `dim`), so the
// count is at least the number of those parameters.
#pragma once

#include <array>
#include <string_view>

#include "vm/bytecode/builtins.h"

namespace tl {

struct BuiltinArity {
  int min = 0;
  int max = 0;  // 255 for variadic builtins
  bool variadic = false;
  int variadic_index = -1;  // position of the `...` parameter
  int params = 0;           // parameters in the signature (the variadic one counted once)
};

constexpr BuiltinArity parse_builtin_arity(std::string_view sig) {
  BuiltinArity a;
  size_t open = sig.find('('), close = sig.find(')');
  std::string_view inner = sig.substr(open + 1, close - open - 1);
  int required = 0;
  bool in_string = false;
  size_t start = 0;
  auto param = [&](std::string_view p) {
    while (!p.empty() && p.front() == ' ') p.remove_prefix(1);
    if (p.empty()) return;
    if (p.find("...") != std::string_view::npos) {
      a.variadic = true;
      a.variadic_index = a.params;
    } else if (p.find('=') == std::string_view::npos) {
      ++required;
    }
    ++a.params;
  };
  for (size_t i = 0; i <= inner.size(); ++i) {
    if (i < inner.size() && inner[i] == '"') in_string = !in_string;
    if (i == inner.size() || (inner[i] == ',' && !in_string)) {
      param(inner.substr(start, i - start));
      start = i + 1;
    }
  }
  if (a.variadic) {
    a.min = a.params - 1;
    a.max = 255;
  } else {
    a.min = required;
    a.max = a.params;
  }
  return a;
}

inline constexpr auto kBuiltinArity = [] {
  std::array<BuiltinArity, kBuiltinCount> t{};
  for (size_t i = 0; i < kBuiltinCount; ++i) t[i] = parse_builtin_arity(kBuiltinTable[i].signature);
  return t;
}();

inline constexpr const BuiltinArity& builtin_arity(Builtin b) {
  return kBuiltinArity[static_cast<size_t>(b)];
}

static_assert(parse_builtin_arity("(x: Tensor, dim: int = -1) -> Tensor").min == 1);
static_assert(parse_builtin_arity("(tensors: Tensor..., dim: int = 0) -> Tensor").min == 1);
static_assert(parse_builtin_arity("(values: any...) -> none").min == 0);

}  // namespace tl
