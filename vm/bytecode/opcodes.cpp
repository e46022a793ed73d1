#include "vm/bytecode/opcodes.h"

namespace tl {

std::string_view format_name(OpFormat f) {
  switch (f) {
    case OpFormat::iABC:
      return "iABC";
    case OpFormat::iABx:
      return "iABx";
    case OpFormat::iAsBx:
      return "iAsBx";
    case OpFormat::iAx:
      return "iAx";
  }
  return "?";
}

std::optional<OpCode> opcode_by_name(std::string_view name) {
  for (const auto& i : kOpTable)
    if (i.name == name) return i.op;
  return std::nullopt;
}

}  // namespace tl
