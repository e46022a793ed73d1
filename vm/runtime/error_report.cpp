#include "vm/runtime/error_report.h"

#include <fmt/format.h>

#include <fstream>

namespace tl {
namespace {

// Line `n` (1-based) of `path`, if the file and the line exist.
bool read_line(const std::string& path, uint32_t n, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  for (uint32_t i = 0; i < n; ++i)
    if (!std::getline(in, out)) return false;
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return true;
}

}  // namespace

std::string format_runtime_error(const VmError& e, bool terminal) {
  if (!terminal) return e.what();
  const VmError::Location& at = e.where();
  constexpr const char* kBold = "\033[1m";
  constexpr const char* kRed = "\033[1;31m";
  constexpr const char* kReset = "\033[0m";
  std::string out;
  if (at.line != 0)
    out += fmt::format("{}{}:{}:{}: {}", kBold, at.file, at.line, at.column, kReset);
  out += fmt::format("{}runtime error:{} {}{}{}", kRed, kReset, kBold, e.message(), kReset);
  std::string line;
  // Very long lines (generated code) are not worth a snippet; the position says where.
  if (at.line != 0 && read_line(at.file, at.line, line) && line.size() <= 240 && at.column > 0 &&
      at.column <= line.size() + 1) {
    std::string pad;
    for (size_t i = 0; i + 1 < at.column; ++i) {
      const unsigned char c = static_cast<unsigned char>(line[i]);
      if ((c & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte: same column
      pad += c == '\t' ? '\t' : ' ';
    }
    for (char& c : line)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) c = ' ';
    const std::string gutter = std::to_string(at.line);
    out += fmt::format("\n {} | {}\n {} | {}{}^{}", gutter, line, std::string(gutter.size(), ' '),
                       pad, kRed, kReset);
  }
  return out + e.trace();
}

}  // namespace tl
