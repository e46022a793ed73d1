// `tl compile FILE.tl [-o FILE.tlbc]`: check and lower a program to a bytecode file.
#include <unistd.h>

#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "compiler/driver/cli.h"
#include "compiler/driver/commands.h"
#include "compiler/driver/frontend.h"
#include "vm/bytecode/tlbc_file.h"
#include "vm/core/atomic_file.h"
#include "vm/core/error.h"

namespace tl::cli {

int cmd_compile(const Args& args) {
  po::options_description options("options");
  options.add_options()("output,o", po::value<std::string>(),
                        "the bytecode file to write (default: FILE with .tlbc)")(
      "file", po::value<std::string>(), "the .tl file");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (auto stop = parse("compile", "tl compile FILE.tl [-o FILE.tlbc]",
                        "Checks a program and writes its bytecode, to run with `tlvm`.", options,
                        positional, args, vm))
    return *stop;
  if (!vm.count("file")) return usage_error("compile", "no input file");
  const std::string path = vm["file"].as<std::string>();
  const std::string out = vm.count("output")
                              ? vm["output"].as<std::string>()
                              : std::filesystem::path(path).replace_extension(".tlbc").string();
  std::string why;
  auto program = Program::load(path, &why);
  if (!program) return usage_error("compile", fmt::format("{}: {}", path, why));
  program->check();
  auto module = program->compile();
  program->print_diagnostics(std::cerr, isatty(2) != 0);
  if (!module) return kExitInputError;
  // Never write the bytecode over a file of the program (through a symlink or a hard link too).
  for (const std::string& source : module->sources) {
    if (same_file(out, source)) {
      std::cerr << fmt::format("tl compile: error: '{}' would overwrite the source file '{}'\n",
                               out, source);
      return kExitInputError;
    }
  }
  if (same_file(out, path)) {
    std::cerr << fmt::format("tl compile: error: '{}' would overwrite the source file '{}'\n", out,
                             path);
    return kExitInputError;
  }
  try {
    save_module_file(*module, out);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("tl compile: error: {}\n", e.what());
    return kExitInputError;
  }
  return kExitOk;
}

}  // namespace tl::cli
