// `tl check FILE...`: parse (and check) .tl files and report diagnostics.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "compiler/driver/check.h"
#include "compiler/driver/cli.h"
#include "compiler/driver/commands.h"

namespace tl::cli {

int cmd_check(const Args& args) {
  po::options_description options("options");
  options.add_options()("format", po::value<std::string>()->default_value("text"),
                        "diagnostics as 'text' (stderr) or 'json' (one array on stdout)")(
      "dump-ast", "print the syntax tree of each file (S-expressions) on stdout")(
      "files", po::value<std::vector<std::string>>(), "the .tl files");
  po::positional_options_description positional;
  positional.add("files", -1);
  po::variables_map vm;
  if (auto stop = parse("check", "tl check [--format=text|json] [--dump-ast] FILE...",
                        "Parses the files and reports syntax errors (exit 1 if any).", options,
                        positional, args, vm))
    return *stop;
  auto json = json_format("check", vm["format"].as<std::string>());
  if (!json) return kExitUsage;
  if (!vm.count("files")) return usage_error("check", "no input files");
  CheckOptions opts;
  opts.json = *json;
  opts.color = isatty(2) != 0 && std::getenv("NO_COLOR") == nullptr;  // no-color.org
  opts.dump_ast = vm.count("dump-ast") > 0;
  return check_files(vm["files"].as<std::vector<std::string>>(), opts, std::cout, std::cerr);
}

}  // namespace tl::cli
