// The `tl` subcommands. Each lives in its own cmd_<name>.cpp and takes the words after its name.
#pragma once

#include <string>
#include <vector>

namespace tl::cli {

using Args = std::vector<std::string>;

#define TL_COMMANDS(X)                                                              \
  X(check, "parse and type-check .tl files, reporting diagnostics")                 \
  X(run, "compile a .tl file in memory and run it")                                 \
  X(compile, "compile a .tl file to bytecode (.tlbc)")                              \
  X(disasm, "print a .tlbc file as readable instructions with source lines")        \
  X(inspect, "show the format, metadata and tensors of a safetensors or GGUF file") \
  X(fmt, "format .tl files in the one canonical style")                             \
  X(lint, "report likely mistakes in .tl files")                                    \
  X(version, "print the toolchain version")

#define X(name, summary) int cmd_##name(const Args& args);
TL_COMMANDS(X)
#undef X

}  // namespace tl::cli
