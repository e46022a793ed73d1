// Splitting `tl run [OPTIONS] FILE [ARGS...]` / `tlvm [OPTIONS] FILE [ARGS...]` into the driver's
// words and the program's arguments (what args() returns).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tl {

struct SplitCommandLine {
  std::vector<std::string> driver;   // options and the file, for the driver's option parser
  std::vector<std::string> program;  // the words after the file, in order
  // How many words of `program` came before a `--` (all of them when there is none).
  size_t before_dashes = 0;
};

// Words up to and including the file (the first word that is not an option or an option's value)
// go to the driver. After the file, the driver still takes its own `driver_options` (each with
// one value, as `--opt V` or `--opt=V`: `--device` keeps working after the file), and every other
// word goes to the program; after `--` every word goes to the program. `driver_flags` are the
// driver's options without a value (`tl check --dump-ast`), also kept after the file.
SplitCommandLine split_program_args(std::span<const std::string> words,
                                    std::span<const std::string_view> driver_options,
                                    std::span<const std::string_view> driver_flags = {});

}  // namespace tl
