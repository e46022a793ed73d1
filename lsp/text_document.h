// One open document: immutable UTF-8 text + version + line index, and the conversions between
// LSP positions (line, character in the negotiated encoding) and byte offsets. Edits produce a
// new document, so a snapshot can be shared with the analysis worker without locking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lsp/protocol.h"

namespace tl::lsp {

struct Position {
  int64_t line = 0;
  int64_t character = 0;  // code units of the negotiated encoding
  friend bool operator==(const Position&, const Position&) = default;
};

class TextDocument {
 public:
  TextDocument(std::string text, int64_t version);

  const std::string& text() const { return *text_; }
  std::shared_ptr<const std::string> shared_text() const { return text_; }
  int64_t version() const { return version_; }
  size_t line_count() const { return line_starts_.size(); }

  // Byte offset of a position. Out-of-range positions clamp (as LSP asks): a line past the end
  // to the end of the text, a character past the end of its line to the line's end, a position
  // inside a UTF-16 surrogate pair (or a multi-byte character) to the character's start.
  size_t offset_of(Position p, PositionEncoding enc) const;
  // Position of a byte offset (clamped to the text; inside a character -> its start).
  Position position_of(size_t offset, PositionEncoding enc) const;
  // position_of(offset), counting on from `from` (the position of `from_offset`) when both are
  // on one line: linear in the distance, so that walking a long line in order stays linear.
  Position position_from(Position from, size_t from_offset, size_t offset,
                         PositionEncoding enc) const;
  // Byte range [begin, end) of a line's content, without its terminator.
  size_t line_begin(size_t line) const { return line_starts_[line]; }
  size_t line_end(size_t line) const;
  // 0-based line of a byte offset.
  size_t line_of(size_t offset) const;

  // The document after replacing [start, end) with `text`; nullopt when start is after end.
  std::optional<TextDocument> edited(Position start, Position end, std::string_view new_text,
                                     PositionEncoding enc, int64_t version) const;

 private:
  std::shared_ptr<const std::string> text_;
  int64_t version_;
  std::vector<size_t> line_starts_;
};

// Length in bytes of the UTF-8 sequence that starts at s[i] (1 for an invalid byte, so that any
// byte string can be walked), and its width in UTF-16 code units.
size_t utf8_sequence_length(std::string_view s, size_t i);
size_t utf16_width(std::string_view s, size_t i, size_t len);

// `file:///a%20b/c.tl` -> `/a b/c.tl`; other schemes -> empty.
std::string uri_to_path(std::string_view uri);

}  // namespace tl::lsp
