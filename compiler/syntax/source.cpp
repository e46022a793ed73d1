#include "compiler/syntax/source.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "compiler/syntax/limits.h"

namespace tl {

namespace {

// Length of the UTF-8 sequence starting with byte `b`; 1 for stray or invalid bytes, so that
// malformed text still maps to monotonically increasing columns.
uint32_t utf8_length(unsigned char b) {
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) return 2;
  if ((b & 0xF0) == 0xE0) return 3;
  if ((b & 0xF8) == 0xF0) return 4;
  return 1;
}

}  // namespace

SourceFile::SourceFile(FileId id, std::string path, std::string text)
    : id_(id), path_(std::move(path)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (uint32_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

uint32_t SourceFile::line_start(uint32_t line) const {
  if (line == 0) return 0;
  if (line > line_starts_.size()) return size();
  return line_starts_[line - 1];
}

std::string_view SourceFile::line_text(uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) return {};
  uint32_t begin = line_starts_[line - 1];
  uint32_t end = line < line_starts_.size() ? line_starts_[line] - 1 : size();
  if (end > begin && text_[end - 1] == '\r') --end;
  return std::string_view(text_).substr(begin, end - begin);
}

LineColumn SourceFile::position(uint32_t offset) const {
  offset = std::min(offset, size());
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  uint32_t line = static_cast<uint32_t>(it - line_starts_.begin());
  uint32_t start = line_starts_[line - 1];
  uint32_t utf16 = 0;
  for (uint32_t i = start; i < offset;) {
    uint32_t n = utf8_length(static_cast<unsigned char>(text_[i]));
    if (i + n > offset) n = offset - i;  // offset inside a sequence: count what precedes it
    utf16 += n == 4 ? 2 : 1;
    i += n;
  }
  return {line, offset - start + 1, utf16 + 1};
}

uint32_t SourceFile::offset_from_utf16(uint32_t line, uint32_t utf16_column) const {
  uint32_t i = line_start(line);
  std::string_view lt = line_text(line);
  uint32_t end = i + static_cast<uint32_t>(lt.size());
  uint32_t units = 0;
  while (i < end && units < utf16_column) {
    uint32_t n = std::min(utf8_length(static_cast<unsigned char>(text_[i])), end - i);
    units += n == 4 ? 2 : 1;
    i += n;
  }
  return i;
}

uint32_t SourceFile::blank_lines_between(uint32_t a, uint32_t b) const {
  uint32_t la = position(a).line, lb = position(b).line;
  uint32_t count = 0;
  for (uint32_t l = la + 1; l < lb; ++l) {
    std::string_view t = line_text(l);
    if (t.find_first_not_of(" \t\r\f\v") == std::string_view::npos) ++count;
  }
  return count;
}

std::shared_ptr<const SourceFile> SourceManager::add(std::string path, std::string text) {
  auto file = std::make_shared<const SourceFile>(static_cast<FileId>(files_.size()),
                                                 std::move(path), std::move(text));
  files_.push_back(file);
  return file;
}

std::optional<std::string> read_source_text(std::istream& in, std::string* error) {
  std::string text;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    if (text.size() + static_cast<size_t>(in.gcount()) > kMaxSourceBytes) {
      if (error)
        *error =
            fmt::format("larger than {} MiB, the limit for a source file", kMaxSourceBytes >> 20);
      return std::nullopt;
    }
    text.append(buffer, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) {
    if (error) *error = "cannot read file";
    return std::nullopt;
  }
  return text;
}

std::shared_ptr<const SourceFile> SourceManager::load(const std::string& path, std::string* error) {
  if (path.find('\0') != std::string::npos) {
    if (error) *error = "the path contains a NUL byte";
    return nullptr;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    if (error) *error = "is a directory";
    return nullptr;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error) *error = std::filesystem::exists(path, ec) ? "cannot open file" : "no such file";
    return nullptr;
  }
  auto text = read_source_text(in, error);
  if (!text) return nullptr;
  return add(path, std::move(*text));
}

const SourceFile* SourceManager::file(FileId id) const {
  return id < files_.size() ? files_[id].get() : nullptr;
}

LineColumn SourceManager::position(SourceRange r, bool end) const {
  const SourceFile* f = file(r.file);
  if (!f) return {};
  return f->position(end ? r.end : r.begin);
}

}  // namespace tl
