// Readable listing of a module: constants, then each function's instructions with operands
// decoded (constants, jump targets, builtin and function names) and, when the source file can
// be read, the source line above the instructions it produced.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>

#include "vm/bytecode/module.h"

namespace tl {

// Source file names are looked up as given, then relative to `source_dir`.
void disassemble(const Module& m, std::ostream& out, const std::filesystem::path& source_dir = {});
// One instruction, "ADD        2 0 1" plus a "; comment" where operands mean something.
std::string disassemble_instr(const Module& m, Instr i, uint32_t pc);
std::string constant_text(const Constant& k);

}  // namespace tl
