// The engine behind `tl check`: parse (and, once the checker lands, analyse) files and report.
// One function so that each compiler layer adds its pass in one place.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace tl::cli {

struct CheckOptions {
  bool json = false;      // one JSON array of every diagnostic on `out`, instead of text on `err`
  bool color = false;     // ANSI colours in text mode
  bool dump_ast = false;  // print each file's syntax tree (S-expressions) on `out`
  // The program's arguments (`tl check FILE ARGS...`): what args() is known to return.
  std::optional<std::vector<std::string>> program_args;
};

// Returns the exit code: 0 no errors, 1 errors in some file, 2 a file could not be read.
int check_files(const std::vector<std::string>& paths, const CheckOptions& options,
                std::ostream& out, std::ostream& err);

}  // namespace tl::cli
