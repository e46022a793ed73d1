// Builtin ids and their table rows, generated from builtins.def.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tl {

enum class Builtin : uint16_t {
#define TL_BUILTIN(e, name, sig, doc) e,
#include "vm/bytecode/builtins.def"
#undef TL_BUILTIN
};

struct BuiltinInfo {
  Builtin id;
  std::string_view name;
  std::string_view signature;  // TL syntax: "(x: Tensor, dim: int = -1) -> Tensor"
  std::string_view doc;
};

inline constexpr BuiltinInfo kBuiltinTable[] = {
#define TL_BUILTIN(e, name, sig, doc) {Builtin::e, name, sig, doc},
#include "vm/bytecode/builtins.def"
#undef TL_BUILTIN
};

inline constexpr size_t kBuiltinCount = std::size(kBuiltinTable);

inline constexpr const BuiltinInfo& builtin_info(Builtin b) {
  return kBuiltinTable[static_cast<size_t>(b)];
}

inline std::optional<Builtin> builtin_by_name(std::string_view name) {
  for (const auto& b : kBuiltinTable)
    if (b.name == name) return b.id;
  return std::nullopt;
}

// The value of a string default as written in builtins.def (quotes included) with the TL
// escapes (backslash n, t, r, 0, backslash, quote) decoded. The compiler and the VM both fill
// defaults from it.
inline std::string decode_default_string(std::string_view lit) {
  std::string out;
  if (lit.size() >= 2) lit = lit.substr(1, lit.size() - 2);
  for (size_t i = 0; i < lit.size(); ++i) {
    if (lit[i] != '\\' || i + 1 == lit.size()) {
      out += lit[i];
      continue;
    }
    switch (lit[++i]) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '0':
        out += '\0';
        break;
      default:
        out += lit[i];
    }
  }
  return out;
}

}  // namespace tl
