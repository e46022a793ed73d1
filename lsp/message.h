// The message layer: Content-Length framing over byte streams, and JSON-RPC message output.
// Testable on std::istringstream / std::ostringstream; the stdio loop feeds it a pipe.
#pragma once

#include <cstddef>
#include <cstdio>
#include <istream>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

namespace tl::lsp {

// Bodies above this size are refused before anything is allocated for them.
inline constexpr size_t kMaxBodyBytes = size_t{64} << 20;

// Reads `Content-Length: N\r\n[other headers]\r\n\r\n<N bytes>` messages. Framing errors (no
// Content-Length, a bad or oversized number, an over-long header line) are logged and skipped:
// the reader resynchronises on the next `Content-Length:` in the byte stream.
class MessageReader {
 public:
  // `log` may be null (silent).
  MessageReader(std::istream& in, std::FILE* log, size_t max_body = kMaxBodyBytes);

  // The next message body, or nullopt at end of input (a truncated last body ends input too).
  std::optional<std::string> next();

  // Number of framing errors skipped so far (for tests).
  size_t framing_errors() const { return framing_errors_; }

 private:
  enum class Line { kOk, kEof, kTooLong };
  Line read_line(std::string& line);
  void framing_error(const std::string& what);
  bool scan_to_content_length(std::string& line);

  std::istream& in_;
  std::FILE* log_;
  size_t max_body_;
  size_t framing_errors_ = 0;
  bool resync_ = false;  // skipping bytes until the next `Content-Length:`
};

// Frames one JSON value as an LSP message. Strings that are not valid UTF-8 are written with
// U+FFFD replacements instead of throwing.
std::string frame_message(const nlohmann::json& message);

// Frames a message already serialised as JSON text.
std::string frame_body(std::string_view body);

// Where the server's outgoing messages go. Implementations must be thread-safe: responses come
// from the request thread, diagnostics from the analysis worker.
class Output {
 public:
  virtual ~Output() = default;
  virtual void send(const nlohmann::json& message) { send_body(frame_message(message)); }
  // A whole framed message (large results are serialised without building a json tree).
  virtual void send_body(const std::string& framed) = 0;
};

// Writes framed messages to a std::ostream (tests, the fuzzer).
class StreamOutput final : public Output {
 public:
  explicit StreamOutput(std::ostream& out) : out_(out) {}
  void send_body(const std::string& framed) override;

 private:
  std::mutex mu_;
  std::ostream& out_;
};

// Writes framed messages to a file descriptor (the server's stdout), retrying short writes.
class FdOutput final : public Output {
 public:
  explicit FdOutput(int fd) : fd_(fd) {}
  void send_body(const std::string& framed) override;

 private:
  std::mutex mu_;
  int fd_;
};

}  // namespace tl::lsp
