// `tl fmt`: rewrites .tl files in the one canonical style (formatter/format.h), or with --check
// shows what would change. A file with syntax errors is never touched: its diagnostics are printed.
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <iterator>

#include "compiler/driver/cli.h"
#include "compiler/driver/commands.h"
#include "formatter/format.h"
#include "vm/core/atomic_file.h"

namespace tl::cli {

int cmd_fmt(const Args& args) {
  po::options_description options("options");
  options.add_options()(
      "check",
      "change nothing: print a unified diff of what would change, exit 1 if anything would")(
      "files", po::value<std::vector<std::string>>()->multitoken(), "files ('-': stdin to stdout)");
  po::positional_options_description positional;
  positional.add("files", -1);
  po::variables_map vm;
  if (auto stop =
          parse("fmt", "tl fmt [--check] FILE... | tl fmt -",
                "Formats .tl files in place in the one canonical style (docs/formatting.md).\n"
                "'-' reads standard input and writes the result to standard output.\n"
                "Files with syntax errors are left as they are; their errors are printed.",
                options, positional, args, vm))
    return *stop;
  if (!vm.count("files")) return usage_error("fmt", "no input files (use '-' for standard input)");
  bool check = vm.count("check") > 0;
  bool color = ::isatty(2);
  SourceManager sm;
  int status = kExitOk;
  bool unreadable = false;  // exit 2, as `tl check` does
  for (const std::string& path : vm["files"].as<std::vector<std::string>>()) {
    std::shared_ptr<const SourceFile> file;
    if (path == "-") {
      std::string error;
      auto text = read_source_text(std::cin, &error);
      if (!text) {
        std::cerr << fmt::format("tl fmt: error: <stdin>: {}\n", error);
        unreadable = true;
        continue;
      }
      file = sm.add("<stdin>", std::move(*text));
    } else {
      std::string error;
      file = sm.load(path, &error);
      if (!file) {
        std::cerr << fmt::format("tl fmt: error: {}: {}\n", path, error);
        unreadable = true;
        continue;
      }
    }
    format::FormatResult r = format::format_file(file);
    if (!r.ok) {
      for (const Diagnostic& d : r.diagnostics) std::cerr << render_text(d, sm, color);
      if (!r.internal_error.empty())
        std::cerr << fmt::format("{}: error: {}\n", file->path(), r.internal_error);
      status = kExitInputError;
      continue;
    }
    if (path == "-" && !check) {
      std::cout << r.text;
      continue;
    }
    if (!r.changed(file->text())) continue;
    if (check) {
      std::cout << format::unified_diff(file->text(), r.text, file->path());
      status = kExitInputError;
      continue;
    }
    try {
      write_file_atomically(path, r.text);
    } catch (const FileWriteError& e) {
      std::cerr << fmt::format("{}: error: cannot write the formatted file: {}\n", path,
                               e.reason());
      status = kExitInputError;
    }
  }
  return unreadable ? kExitUsage : status;
}

}  // namespace tl::cli
