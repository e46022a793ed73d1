#include <iostream>

#include "compiler/driver/cli.h"
#include "compiler/driver/commands.h"

namespace tl::cli {

int cmd_version(const Args& args) {
  po::options_description options("options");
  po::positional_options_description positional;
  po::variables_map vm;
  if (auto stop = parse("version", "tl version", "Print the toolchain version.", options,
                        positional, args, vm))
    return *stop;
  std::cout << "tl " << TL_VERSION << "\n";
  return kExitOk;
}

}  // namespace tl::cli
