// `tl fmt`: rewrites .tl files in the one canonical style (formatter/format.h), or with --check
// shows what would change. A file with syntax errors is never touched: its diagnostics are printed.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <iterator>

#include "compiler/driver/cli.h"
#include "compiler/driver/commands.h"
#include "formatter/format.h"

namespace tl::cli {

namespace {

// Writes `text` over `path` atomically: a temporary file in the same directory, the original's
// permission bits, then rename(2). On failure the original is untouched and `error` says why.
bool replace_file(const std::string& path, std::string_view text, std::string& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = std::strerror(errno);
    return false;
  }
  std::string tmp = path + ".tlfmt-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    error = fmt::format("cannot create a temporary file: {}", std::strerror(errno));
    return false;
  }
  bool ok = true;
  for (size_t done = 0; ok && done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ok = false;
    done += n > 0 ? static_cast<size_t>(n) : 0;
  }
  ok = ok && ::fchmod(fd, st.st_mode & 07777) == 0 && ::fsync(fd) == 0;
  if (::close(fd) != 0) ok = false;
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) ok = false;
  if (!ok) {
    error = std::strerror(errno);
    ::unlink(tmp.c_str());
  }
  return ok;
}

}  // namespace

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
      std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
      file = sm.add("<stdin>", std::move(text));
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
    std::string error;
    if (!replace_file(path, r.text, error)) {
      std::cerr << fmt::format("{}: error: cannot write the formatted file: {}\n", path, error);
      status = kExitInputError;
    }
  }
  return unreadable ? kExitUsage : status;
}

}  // namespace tl::cli
