// Shared plumbing of the `tl` subcommands: exit codes and option parsing with --help.
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tl::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInputError = 1;  // errors in the user's input (source, model, bytecode)
inline constexpr int kExitUsage = 2;       // bad command line, or a feature that is not available

namespace po = boost::program_options;

// Parses `args` (the words after the subcommand). Adds --help. Returns an exit code when the
// caller should stop (help printed: 0; bad usage reported on stderr: 2), nullopt to go on.
// `usage` is the one-line synopsis, e.g. "tl check [--format=text|json] FILE...".
std::optional<int> parse(std::string_view command, std::string_view usage,
                         std::string_view description, po::options_description& options,
                         const po::positional_options_description& positional,
                         const std::vector<std::string>& args, po::variables_map& vm);

// Prints "tl COMMAND: error: MESSAGE" to stderr and returns kExitUsage.
int usage_error(std::string_view command, std::string_view message);

// Checks a --format value; returns true for "json", false for "text", nullopt (after reporting)
// for anything else.
std::optional<bool> json_format(std::string_view command, const std::string& value);

}  // namespace tl::cli
