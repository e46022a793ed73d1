#include "lsp/message.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>

#include <fmt/format.h>

namespace tl::lsp {
namespace {

// Header lines are short in practice; anything longer is garbage to skip, not to buffer.
constexpr size_t kMaxHeaderLine = 8192;

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

constexpr std::string_view kContentLength = "content-length:";

// `Name: value` with an RFC 7230 token as the name.
bool is_header_line(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  for (size_t i = 0; i < colon; ++i) {
    char c = line[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

MessageReader::MessageReader(std::istream& in, std::FILE* log, size_t max_body)
    : in_(in), log_(log), max_body_(max_body) {}

void MessageReader::framing_error(const std::string& what) {
  ++framing_errors_;
  resync_ = true;
  if (log_) fmt::print(log_, "tl-lsp: framing error: {}; resynchronising\n", what);
}

// Reads up to '\n' (dropping a trailing '\r'). Bytes past kMaxHeaderLine are consumed, not kept.
MessageReader::Line MessageReader::read_line(std::string& line) {
  line.clear();
  std::streambuf* buf = in_.rdbuf();
  bool too_long = false;
  for (;;) {
    int c = buf->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      in_.setstate(std::ios::eofbit);
      return Line::kEof;
    }
    if (c == '\n') break;
    if (line.size() < kMaxHeaderLine)
      line.push_back(static_cast<char>(c));
    else
      too_long = true;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return too_long ? Line::kTooLong : Line::kOk;
}

// Consumes bytes up to and including the next `Content-Length:` (any case, anywhere), then the
// rest of that line; leaves the reconstructed header line in `line`. False at end of input.
bool MessageReader::scan_to_content_length(std::string& line) {
  std::streambuf* buf = in_.rdbuf();
  size_t matched = 0;
  while (matched < kContentLength.size()) {
    int c = buf->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      in_.setstate(std::ios::eofbit);
      return false;
    }
    char lc = static_cast<char>(std::tolower(c));
    if (lc == kContentLength[matched])
      ++matched;
    else
      matched = lc == kContentLength[0] ? 1 : 0;  // 'c' occurs only first in the pattern
  }
  std::string rest;
  if (read_line(rest) == Line::kEof && rest.empty()) return false;
  line = "Content-Length:" + rest;
  return true;
}

std::optional<std::string> MessageReader::next() {
  std::string line;
  for (;;) {
    // Header block.
    if (resync_) {
      if (!scan_to_content_length(line)) return std::nullopt;
    }
    std::optional<size_t> length;
    bool bad = false;
    bool any_header = false;
    for (;;) {
      Line r = Line::kOk;
      if (resync_) {
        resync_ = false;  // `line` holds the Content-Length header found by the scan
      } else {
        r = read_line(line);
        if (r == Line::kEof) return std::nullopt;
      }
      if (r == Line::kTooLong) {
        framing_error("header line too long");
        bad = true;
        break;
      }
      if (line.empty()) {
        if (!any_header) continue;  // tolerate stray blank lines between messages
        break;
      }
      any_header = true;
      if (starts_with_nocase(line, kContentLength)) {
        std::string_view num = trim(std::string_view(line).substr(kContentLength.size()));
        size_t n = 0;
        auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
        if (num.empty() || ec != std::errc() || end != num.data() + num.size()) {
          framing_error(fmt::format("bad Content-Length '{}'", num.substr(0, 40)));
          bad = true;
          break;
        }
        if (n > max_body_) {
          framing_error(
              fmt::format("Content-Length {} exceeds the limit of {} bytes", n, max_body_));
          bad = true;
          break;
        }
        length = n;
      } else if (!is_header_line(line)) {
        framing_error(fmt::format("malformed header line '{}'", line.substr(0, 40)));
        bad = true;
        break;
      }
      // Other headers (Content-Type) are accepted and ignored.
    }
    if (bad) continue;
    if (!length) {
      framing_error("header block without Content-Length");
      continue;
    }
    std::string body(*length, '\0');
    in_.read(body.data(), static_cast<std::streamsize>(*length));
    if (static_cast<size_t>(in_.gcount()) != *length) {
      if (log_)
        fmt::print(log_, "tl-lsp: input ended inside a message body ({} of {} bytes)\n",
                   in_.gcount(), *length);
      return std::nullopt;
    }
    return body;
  }
}

std::string frame_body(std::string_view body) {
  return fmt::format("Content-Length: {}\r\n\r\n{}", body.size(), body);
}

std::string frame_message(const nlohmann::json& message) {
  return frame_body(message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void StreamOutput::send_body(const std::string& framed) {
  std::lock_guard lock(mu_);
  out_.write(framed.data(), static_cast<std::streamsize>(framed.size()));
  out_.flush();
}

void FdOutput::send_body(const std::string& framed) {
  std::lock_guard lock(mu_);
  size_t done = 0;
  while (done < framed.size()) {
    ssize_t n = ::write(fd_, framed.data() + done, framed.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the client is gone; the reader will see end of input
    done += static_cast<size_t>(n);
  }
}

}  // namespace tl::lsp
