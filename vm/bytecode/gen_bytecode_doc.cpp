// Regenerates the opcode table of docs/bytecode.md from opcodes.def:
//   gen_bytecode_doc DOC.md          rewrite in place
//   gen_bytecode_doc --check DOC.md  exit 1 when the file is out of date
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "vm/bytecode/opcodes_doc.h"

int main(int argc, char** argv) {
  bool check = argc == 3 && std::string(argv[1]) == "--check";
  if (argc != 2 && !check) {
    std::cerr << "usage: gen_bytecode_doc [--check] docs/bytecode.md\n";
    return 2;
  }
  std::string path = argv[argc - 1];
  std::ifstream in(path);
  if (!in) {
    std::cerr << path << ": error: cannot open\n";
    return 1;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str(), updated;
  try {
    updated = tl::with_opcode_table(doc);
  } catch (const std::exception& e) {
    std::cerr << path << ": error: " << e.what() << "\n";
    return 1;
  }
  if (check) {
    if (updated != doc) {
      std::cerr << path << ": error: opcode table out of date; run the gen_bytecode_doc target\n";
      return 1;
    }
    return 0;
  }
  std::ofstream(path) << updated;
  return 0;
}
