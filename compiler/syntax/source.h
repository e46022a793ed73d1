// Source files and positions. A SourceRange is three integers (file id + byte offsets), cheap to
// store in every AST node; turning it into line/column happens only when a diagnostic is shown or
// an editor asks, through the SourceFile's line-start table.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tl {

using FileId = uint32_t;
inline constexpr FileId kNoFile = 0xffffffffu;

// Half-open byte range [begin, end) in one file.
struct SourceRange {
  FileId file = kNoFile;
  uint32_t begin = 0;
  uint32_t end = 0;

  bool valid() const { return file != kNoFile; }
  uint32_t size() const { return end - begin; }
  bool contains(uint32_t offset) const { return begin <= offset && offset < end; }
  // The smallest range covering both (same file assumed).
  static SourceRange join(SourceRange a, SourceRange b) {
    return {a.file, a.begin < b.begin ? a.begin : b.begin, a.end > b.end ? a.end : b.end};
  }
  friend bool operator==(const SourceRange&, const SourceRange&) = default;
};

// A 1-based position. `column` counts UTF-8 bytes (what compilers print); `column_utf16` counts
// UTF-16 code units (what the Language Server Protocol wants, 0-based there: subtract 1).
struct LineColumn {
  uint32_t line = 1;
  uint32_t column = 1;
  uint32_t column_utf16 = 1;
};

class SourceFile {
 public:
  SourceFile(FileId id, std::string path, std::string text);

  FileId id() const { return id_; }
  const std::string& path() const { return path_; }
  std::string_view text() const { return text_; }
  uint32_t size() const { return static_cast<uint32_t>(text_.size()); }

  // Offset -> 1-based line/column; offsets past the end clamp to the end.
  LineColumn position(uint32_t offset) const;
  // 1-based line and 0-based UTF-16 column (LSP) -> byte offset, clamped to the line.
  uint32_t offset_from_utf16(uint32_t line, uint32_t utf16_column) const;
  uint32_t line_count() const { return static_cast<uint32_t>(line_starts_.size()); }
  uint32_t line_start(uint32_t line) const;  // 1-based line -> byte offset of its first byte
  // The text of a 1-based line, without its line terminator.
  std::string_view line_text(uint32_t line) const;
  // Number of empty (whitespace-only) lines strictly between the lines holding `a` and `b`
  // (a <= b). The formatter uses this to keep blank lines.
  uint32_t blank_lines_between(uint32_t a, uint32_t b) const;
  std::string_view slice(SourceRange r) const {
    return std::string_view(text_).substr(r.begin, r.size());
  }

 private:
  FileId id_;
  std::string path_;
  std::string text_;
  std::vector<uint32_t> line_starts_;
};

// Reads a whole source text from `in`, refusing more than kMaxSourceBytes (limits.h) without
// reading further (`tl check /dev/zero`); nullopt with `error` set on failure.
std::optional<std::string> read_source_text(std::istream& in, std::string* error);

// Owns every file of one compilation (or one editor session). Files are shared so that a
// SyntaxTree can keep its source alive after the manager moves on (an LSP re-parse replaces a file
// with a new id; old trees stay valid).
class SourceManager {
 public:
  // Adds text under `path`; returns the new file.
  std::shared_ptr<const SourceFile> add(std::string path, std::string text);
  // Reads `path` from disk; nullptr (and `error` set) when it cannot be read.
  std::shared_ptr<const SourceFile> load(const std::string& path, std::string* error);
  const SourceFile* file(FileId id) const;  // nullptr for an unknown id
  LineColumn position(SourceRange r, bool end = false) const;

 private:
  std::vector<std::shared_ptr<const SourceFile>> files_;
};

}  // namespace tl
