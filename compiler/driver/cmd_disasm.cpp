// Placeholder until the engine behind `tl disasm` exists: says so and exits 2, never fakes output.
#include "compiler/driver/cli.h"
#include "compiler/driver/commands.h"

namespace tl::cli {

int cmd_disasm(const Args& args) {
  po::options_description options("options");
  po::positional_options_description positional;
  po::variables_map vm;
  if (auto stop = parse("disasm", "tl disasm", "Not available yet in this build.", options, positional, args, vm))
    return *stop;
  return usage_error("disasm", "not available yet: the engine behind 'tl disasm' is not built");
}

}  // namespace tl::cli
