#include "lsp/text_document.h"

#include <algorithm>

namespace tl::lsp {

size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 1;
  if (i + len > s.size()) return 1;
  for (size_t k = 1; k < len; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  return len;
}

size_t utf16_width(std::string_view, size_t, size_t len) {
  return len == 4 ? 2 : 1;
}

namespace {
size_t units(std::string_view s, size_t i, size_t len, PositionEncoding enc) {
  return enc == PositionEncoding::kUtf8 ? len : utf16_width(s, i, len);
}
}  // namespace

TextDocument::TextDocument(std::string text, int64_t version)
    : text_(std::make_shared<const std::string>(std::move(text))), version_(version) {
  const std::string& t = *text_;
  line_starts_.push_back(0);
  // LSP line terminators: \n, \r\n and a lone \r.
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '\r') {
      if (i + 1 < t.size() && t[i + 1] == '\n') ++i;
      line_starts_.push_back(i + 1);
    } else if (t[i] == '\n') {
      line_starts_.push_back(i + 1);
    }
  }
}

size_t TextDocument::line_end(size_t line) const {
  const std::string& t = *text_;
  size_t begin = line_starts_[line];
  size_t end = line + 1 < line_starts_.size() ? line_starts_[line + 1] : t.size();
  if (end > begin && t[end - 1] == '\n') --end;
  if (end > begin && t[end - 1] == '\r') --end;
  return end;
}

size_t TextDocument::line_of(size_t offset) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  return static_cast<size_t>(it - line_starts_.begin()) - 1;
}

size_t TextDocument::offset_of(Position p, PositionEncoding enc) const {
  if (p.line < 0) return 0;
  if (static_cast<uint64_t>(p.line) >= line_starts_.size()) return text_->size();
  size_t line = static_cast<size_t>(p.line);
  size_t i = line_starts_[line];
  size_t end = line_end(line);
  int64_t remaining = std::max<int64_t>(p.character, 0);
  std::string_view t = *text_;
  while (i < end && remaining > 0) {
    size_t len = utf8_sequence_length(t, i);
    auto w = static_cast<int64_t>(units(t, i, len, enc));
    if (w > remaining) break;  // inside a surrogate pair / multi-byte char: clamp to its start
    remaining -= w;
    i += len;
  }
  return i;
}

Position TextDocument::position_of(size_t offset, PositionEncoding enc) const {
  offset = std::min(offset, text_->size());
  size_t line = line_of(offset);
  std::string_view t = *text_;
  size_t i = line_starts_[line];
  int64_t character = 0;
  while (i < offset) {
    size_t len = utf8_sequence_length(t, i);
    if (i + len > offset) break;
    character += static_cast<int64_t>(units(t, i, len, enc));
    i += len;
  }
  return {static_cast<int64_t>(line), character};
}

Position TextDocument::position_from(Position from, size_t from_offset, size_t offset,
                                     PositionEncoding enc) const {
  offset = std::min(offset, text_->size());
  if (offset < from_offset || line_of(offset) != static_cast<size_t>(from.line))
    return position_of(offset, enc);
  std::string_view t = *text_;
  size_t i = from_offset;
  int64_t character = from.character;
  while (i < offset) {
    size_t len = utf8_sequence_length(t, i);
    if (i + len > offset) break;
    character += static_cast<int64_t>(units(t, i, len, enc));
    i += len;
  }
  return {from.line, character};
}

std::optional<TextDocument> TextDocument::edited(Position start, Position end,
                                                 std::string_view new_text, PositionEncoding enc,
                                                 int64_t version) const {
  size_t b = offset_of(start, enc);
  size_t e = offset_of(end, enc);
  if (b > e) return std::nullopt;
  std::string t;
  t.reserve(text_->size() - (e - b) + new_text.size());
  t.append(*text_, 0, b);
  t.append(new_text);
  t.append(*text_, e, std::string::npos);
  return TextDocument(std::move(t), version);
}

std::string uri_to_path(std::string_view uri) {
  constexpr std::string_view kFile = "file://";
  if (uri.substr(0, kFile.size()) != kFile) return {};
  uri.remove_prefix(kFile.size());
  std::string path;
  for (size_t i = 0; i < uri.size(); ++i) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (uri[i] == '%' && i + 2 < uri.size() && hex(uri[i + 1]) >= 0 && hex(uri[i + 2]) >= 0) {
      path.push_back(static_cast<char>(hex(uri[i + 1]) * 16 + hex(uri[i + 2])));
      i += 2;
    } else {
      path.push_back(uri[i]);
    }
  }
  return path;
}

}  // namespace tl::lsp
