// tlvm: runs a .tlbc file. Does not link the compiler.
//   tlvm [--device cpu|vulkan|auto] [--stats] FILE.tlbc [ARGS...]   (ARGS: the program's, args())
// Exit codes: 0 ok, 1 bad bytecode or a run-time error, 2 bad usage or an unavailable device.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "vm/bytecode/tlbc_file.h"
#include "vm/core/error.h"
#include "vm/runtime/backend_factory.h"
#include "vm/runtime/error_report.h"
#include "vm/runtime/interp.h"
#include "vm/runtime/program_args.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  po::options_description options("options");
  options.add_options()("help,h", "show this help")(
      "device", po::value<std::string>()->default_value("auto"),
      "where tensor ops run: cpu, vulkan, or auto (a real GPU if there is one)")(
      "stats", po::bool_switch(),
      "at the end, print on stderr how many VM instructions ran (before the file)")(
      "file", po::value<std::string>(), ".tlbc file to run");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  static constexpr std::string_view kDriverOptions[] = {"--device"};
  const std::vector<std::string> words(argv + 1, argv + argc);
  tl::SplitCommandLine split = tl::split_program_args(words, kDriverOptions);
  try {
    po::store(po::command_line_parser(split.driver).options(options).positional(positional).run(),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "tlvm: error: " << e.what() << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << "usage: tlvm [--device cpu|vulkan|auto] [--stats] FILE.tlbc [ARGS...]\n\nRun a TL "
                 "bytecode "
                 "file; ARGS are the program's (args()), `--` passes the rest as they are.\n\n"
              << options;
    return 0;
  }
  if (!vm.count("file")) {
    std::cerr << "tlvm: error: no input file (usage: tlvm FILE.tlbc [--device cpu|vulkan|auto])\n";
    return 2;
  }
  std::unique_ptr<tl::Backend> backend;
  try {
    backend = tl::make_backend(vm["device"].as<std::string>());
  } catch (const std::exception& e) {
    std::cerr << "tlvm: error: " << e.what() << "\n";
    return 2;
  }
  tl::Module module;
  try {
    module = tl::load_module_file(vm["file"].as<std::string>());
  } catch (const tl::FormatError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  tl::VmOptions opts;
  opts.backend = backend.get();
  opts.out = &std::cout;
  opts.program_args = std::move(split.program);
  opts.count_instructions = vm["stats"].as<bool>();
  try {
    tl::Vm machine(module, opts);
    try {
      machine.run();
      if (backend) backend->synchronize();
    } catch (const tl::VmError&) {
      if (opts.count_instructions) std::cerr << tl::stats_line(machine) << "\n";
      throw;
    }
    if (opts.count_instructions) std::cerr << tl::stats_line(machine) << "\n";
  } catch (const tl::VmError& e) {
    std::cout.flush();
    std::cerr << tl::format_runtime_error(e, isatty(2) != 0) << "\n";
    return 1;
  }
  std::cout.flush();
  if (!std::cout) {  // a full disk or a closed stdout: the output is lost, so the run failed
    std::cerr << "tlvm: error: cannot write to standard output\n";
    return 1;
  }
  return 0;
}
