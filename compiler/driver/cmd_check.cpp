// `tl check FILE... [ARGS...]`: parse (and check) .tl files and report diagnostics; ARGS are the
// program's arguments as `tl run` takes them, so args() is known to the checker.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "compiler/driver/check.h"
#include "compiler/driver/cli.h"
#include "compiler/driver/commands.h"
#include "vm/runtime/program_args.h"

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
  // As `tl run` splits its command line; the leading words that end in `.tl` (before any `--`)
  // are more files to check, and the first other word starts the program's arguments.
  static constexpr std::string_view kDriverOptions[] = {"--format"};
  static constexpr std::string_view kDriverFlags[] = {"--dump-ast"};
  SplitCommandLine words = split_program_args(args, kDriverOptions, kDriverFlags);
  size_t more_files = 0;
  while (more_files < words.before_dashes && words.program[more_files].ends_with(".tl"))
    ++more_files;
  words.driver.insert(words.driver.end(), words.program.begin(),
                      words.program.begin() + static_cast<std::ptrdiff_t>(more_files));
  words.program.erase(words.program.begin(),
                      words.program.begin() + static_cast<std::ptrdiff_t>(more_files));
  if (auto stop = parse("check", "tl check [--format=text|json] [--dump-ast] FILE... [ARGS...]",
                        "Parses and checks the files and reports errors (exit 1 if any). The "
                        "words after the .tl files are the program's arguments, as `tl run` takes "
                        "them (`--` passes the rest as they are): args() is then known, and "
                        "load_model(args()[0]) reads that file's header.",
                        options, positional, words.driver, vm))
    return *stop;
  auto json = json_format("check", vm["format"].as<std::string>());
  if (!json) return kExitUsage;
  if (!vm.count("files")) return usage_error("check", "no input files");
  CheckOptions opts;
  opts.json = *json;
  opts.color = isatty(2) != 0 && std::getenv("NO_COLOR") == nullptr;  // no-color.org
  opts.dump_ast = vm.count("dump-ast") > 0;
  if (!words.program.empty()) opts.program_args = std::move(words.program);
  return check_files(vm["files"].as<std::vector<std::string>>(), opts, std::cout, std::cerr);
}

}  // namespace tl::cli
