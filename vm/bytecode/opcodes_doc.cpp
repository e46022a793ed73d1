#include "vm/bytecode/opcodes_doc.h"

#include <fmt/format.h>

#include <stdexcept>

#include "vm/bytecode/opcodes.h"

namespace tl {

std::string opcode_table_markdown() {
  // In OperandKind's order (opcodes.h).
  static constexpr std::string_view kind_names[] = {"_", "R", "K", "S", "P", "F", "X",
                                                    "J", "U", "D", "I", "G", "E"};
  std::string s = "| # | Opcode | Format | A B C | Semantics |\n|---|---|---|---|---|\n";
  for (const auto& i : kOpTable) {
    std::string kinds =
        fmt::format("{} {}", kind_names[static_cast<int>(i.a)], kind_names[static_cast<int>(i.b)]);
    if (i.format == OpFormat::iABC) kinds += fmt::format(" {}", kind_names[static_cast<int>(i.c)]);
    std::string doc(i.doc);
    for (size_t p = 0; (p = doc.find('|', p)) != std::string::npos; p += 2)
      doc.replace(p, 1, "\\|");
    s += fmt::format("| {} | `{}` | {} | {} | `{}` |\n", static_cast<int>(i.op), i.name,
                     format_name(i.format), kinds, doc);
  }
  return s;
}

std::string with_opcode_table(const std::string& doc) {
  size_t b = doc.find(kOpcodeTableBegin), e = doc.find(kOpcodeTableEnd);
  if (b == std::string::npos || e == std::string::npos || e < b)
    throw std::runtime_error("opcode table markers not found");
  b += kOpcodeTableBegin.size();
  return doc.substr(0, b) + "\n" + opcode_table_markdown() + doc.substr(e);
}

}  // namespace tl
