#include "compiler/driver/cli.h"

#include <fmt/format.h>

#include <iostream>

namespace tl::cli {

std::optional<int> parse(std::string_view command, std::string_view usage,
                         std::string_view description, po::options_description& options,
                         const po::positional_options_description& positional,
                         const std::vector<std::string>& args, po::variables_map& vm) {
  options.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << fmt::format("usage: {}\n\n{}\n\n", usage, description) << options;
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    usage_error(command, e.what());
    std::cerr << fmt::format("usage: {}\n", usage);
    return kExitUsage;
  }
  return std::nullopt;
}

int usage_error(std::string_view command, std::string_view message) {
  std::cerr << fmt::format("tl {}: error: {}\n", command, message);
  return kExitUsage;
}

std::optional<bool> json_format(std::string_view command, const std::string& value) {
  if (value == "json") return true;
  if (value == "text") return false;
  usage_error(command, fmt::format("unknown --format '{}' (expected 'text' or 'json')", value));
  return std::nullopt;
}

}  // namespace tl::cli
