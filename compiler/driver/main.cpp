// `tl`: the toolchain driver. Dispatches to one subcommand per cmd_<name>.cpp.
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string_view>

#include "compiler/driver/cli.h"
#include "compiler/driver/commands.h"

namespace {

struct CommandEntry {
  std::string_view name;
  std::string_view summary;
  int (*run)(const tl::cli::Args&);
};

constexpr CommandEntry kCommands[] = {
#define X(name, summary) {#name, summary, &tl::cli::cmd_##name},
    TL_COMMANDS(X)
#undef X
};

void print_usage(std::ostream& out) {
  out << "usage: tl <command> [options] [args]\n\nTensorLogic toolchain. Commands:\n";
  for (const auto& c : kCommands) out << fmt::format("  {:<9} {}\n", c.name, c.summary);
  out << "\nRun 'tl <command> --help' for a command's options.\n";
}

// Output that could not be written (a full disk, a closed stdout) fails the command: a run that
// printed nothing must not report success.
int check_stdout(int status, std::string_view command) {
  errno = 0;
  std::cout.flush();
  if (std::cout && std::fflush(stdout) == 0 && !std::ferror(stdout)) return status;
  std::cerr << fmt::format("tl {}: error: cannot write to standard output{}\n", command,
                           errno ? std::string(": ") + std::strerror(errno) : "");
  return status == tl::cli::kExitOk ? tl::cli::kExitInputError : status;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(std::cerr);
    return tl::cli::kExitUsage;
  }
  const std::string_view word = argv[1];
  if (word == "--help" || word == "-h" || word == "help") {
    print_usage(std::cout);
    return tl::cli::kExitOk;
  }
  if (word == "--version") return tl::cli::cmd_version({});
  for (const auto& c : kCommands) {
    if (c.name == word) {
      try {
        return check_stdout(c.run(tl::cli::Args(argv + 2, argv + argc)), c.name);
      } catch (const std::exception& e) {
        std::cerr << fmt::format("tl {}: internal error: {}\n", c.name, e.what());
        return 3;
      }
    }
  }
  std::cerr << fmt::format("tl: error: unknown command '{}'\n\n", word);
  print_usage(std::cerr);
  return tl::cli::kExitUsage;
}
