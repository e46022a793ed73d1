// The opcode table of docs/bytecode.md, generated from opcodes.def.
#pragma once

#include <string>
#include <string_view>

namespace tl {

inline constexpr std::string_view kOpcodeTableBegin =
    "<!-- BEGIN OPCODE TABLE: generated from vm/bytecode/opcodes.def by "
    "`cmake --build build --target gen_bytecode_doc_run`; do not edit -->";
inline constexpr std::string_view kOpcodeTableEnd = "<!-- END OPCODE TABLE -->";

std::string opcode_table_markdown();
// `doc` with the text between the markers replaced by the generated table; throws
// std::runtime_error when the markers are missing.
std::string with_opcode_table(const std::string& doc);

}  // namespace tl
