#include "vm/bytecode/builtin_signature.h"

namespace tl {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

BuiltinParam parse_param(std::string_view text) {
  BuiltinParam p;
  const size_t eq = text.find('=');
  if (eq != std::string_view::npos) {
    p.default_value = trim(text.substr(eq + 1));
    text = text.substr(0, eq);
  }
  const size_t colon = text.find(':');
  p.name = trim(text.substr(0, colon));
  std::string_view type = colon == std::string_view::npos ? "any" : trim(text.substr(colon + 1));
  if (type.ends_with("...")) {
    p.variadic = true;
    type.remove_suffix(3);
  }
  p.type = trim(type);
  return p;
}

}  // namespace

BuiltinSignature parse_builtin_signature(std::string_view sig) {
  BuiltinSignature s;
  const size_t open = sig.find('(');
  const size_t close = sig.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return s;
  const std::string_view inner = sig.substr(open + 1, close - open - 1);
  bool in_string = false;
  size_t start = 0;
  for (size_t i = 0; i <= inner.size(); ++i) {
    if (i < inner.size() && inner[i] == '"') in_string = !in_string;
    if (i == inner.size() || (inner[i] == ',' && !in_string)) {
      const std::string_view part = trim(inner.substr(start, i - start));
      if (!part.empty()) s.params.push_back(parse_param(part));
      start = i + 1;
    }
  }
  const size_t arrow = sig.find("->", close);
  if (arrow != std::string_view::npos) s.result = trim(sig.substr(arrow + 2));
  return s;
}

}  // namespace tl
