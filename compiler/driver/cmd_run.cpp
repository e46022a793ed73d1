// `tl run [--device cpu|vulkan|auto] FILE.tl [ARGS...]`: check, compile in memory and run a
// program; ARGS are the program's (args()).
#include <unistd.h>

#include <fmt/format.h>

#include <iostream>

#include "compiler/driver/cli.h"
#include "compiler/driver/commands.h"
#include "compiler/driver/frontend.h"
#include "vm/runtime/backend_factory.h"
#include "vm/runtime/error_report.h"
#include "vm/runtime/interp.h"
#include "vm/runtime/program_args.h"

namespace tl::cli {

int cmd_run(const Args& args) {
  po::options_description options("options");
  options.add_options()("device", po::value<std::string>()->default_value("auto"),
                        "where tensor ops run: cpu, vulkan, or auto (a real GPU if there is one)")(
      "stats", po::bool_switch(),
      "at the end, print on stderr how many VM instructions ran (before the file)")(
      "file", po::value<std::string>(), "the .tl file");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  static constexpr std::string_view kDriverOptions[] = {"--device"};
  SplitCommandLine words = split_program_args(args, kDriverOptions);
  if (auto stop = parse("run", "tl run [--device cpu|vulkan|auto] [--stats] FILE.tl [ARGS...]",
                        "Checks a program, compiles it in memory and runs it. The words after the "
                        "file are the program's arguments (args()); `--` passes the rest as they "
                        "are.",
                        options, positional, words.driver, vm))
    return *stop;
  if (!vm.count("file")) return usage_error("run", "no input file");
  const std::string path = vm["file"].as<std::string>();
  std::unique_ptr<Backend> backend;
  try {
    backend = make_backend(vm["device"].as<std::string>());
  } catch (const std::exception& e) {
    return usage_error("run", e.what());
  }
  std::string why;
  auto program = Program::load(path, &why);
  if (!program) return usage_error("run", fmt::format("{}: {}", path, why));
  program->check();
  auto module = program->compile();
  program->print_diagnostics(std::cerr, isatty(2) != 0);
  if (!module) return kExitInputError;
  VmOptions opts;
  opts.backend = backend.get();
  opts.out = &std::cout;
  opts.program_args = std::move(words.program);
  opts.count_instructions = vm["stats"].as<bool>();
  try {
    Vm machine(*module, opts);
    try {
      machine.run();
      if (backend) backend->synchronize();
    } catch (const VmError&) {
      if (opts.count_instructions) std::cerr << stats_line(machine) << "\n";
      throw;
    }
    if (opts.count_instructions) std::cerr << stats_line(machine) << "\n";
  } catch (const VmError& e) {
    std::cout.flush();
    std::cerr << format_runtime_error(e, isatty(2) != 0) << "\n";
    return kExitInputError;
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace tl::cli
