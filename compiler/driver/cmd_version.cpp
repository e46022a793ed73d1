#include <iostream>

#include "compiler/driver/cli.h"
#include "compiler/driver/commands.h"
#include "vm/runtime/backend_factory.h"

namespace tl::cli {

int cmd_version(const Args& args) {
  po::options_description options("options");
  options.add_options()("verbose,v", "also the CPU model, its SIMD flags and the kernels chosen");
  po::positional_options_description positional;
  po::variables_map vm;
  if (auto stop = parse("version", "tl version", "Print the toolchain version.", options,
                        positional, args, vm))
    return *stop;
  std::cout << "tl " << TL_VERSION << "\n";
  if (vm.count("verbose")) std::cout << describe_cpu_kernels();
  return kExitOk;
}

}  // namespace tl::cli
