// A small LSP client for tests and benchmarks: spawns `tl-lsp` as a separate process over pipes
// and talks LSP to it. Every wait has a deadline, so a hung server fails a test instead of hanging
// ctest; the destructor closes the pipes and reaps (or kills) the child.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tl::lsp::test {

using nlohmann::json;
using namespace std::chrono_literals;

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release();
  void reset();
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

class LspClient {
 public:
  // Spawns `server` (default: TL_BIN_DIR/tl-lsp) with `args`.
  explicit LspClient(std::vector<std::string> args = {"--quiet"}, std::string server = {});
  ~LspClient();
  LspClient(const LspClient&) = delete;
  LspClient& operator=(const LspClient&) = delete;

  void send_raw(std::string_view bytes);
  void send(const json& message);
  int64_t request(const std::string& method, json params = json::object());
  void notify(const std::string& method, json params = json::object());

  // The response to request `id`; nullopt on timeout. Notifications met on the way are kept.
  std::optional<json> wait_response(const json& id, std::chrono::milliseconds timeout = 5s);
  // request() + wait_response(); a timeout yields a json object {"timeout": true}.
  json call(const std::string& method, json params = json::object(),
            std::chrono::milliseconds timeout = 5s);
  // The next notification `method` (optionally matching `pred`); nullopt on timeout.
  template <class Pred>
  std::optional<json> wait_notification(const std::string& method, Pred pred,
                                        std::chrono::milliseconds timeout = 5s);
  std::optional<json> wait_notification(const std::string& method,
                                        std::chrono::milliseconds timeout = 5s) {
    return wait_notification(
        method, [](const json&) { return true; }, timeout);
  }
  // Every notification received so far (and not yet consumed by wait_notification).
  const std::deque<json>& notifications() const { return notifications_; }

  // initialize (with `capabilities`, and `initialization_options` unless null) + initialized;
  // returns the initialize result.
  json initialize(json capabilities = json::object(), json initialization_options = nullptr);
  void open(const std::string& uri, const std::string& text, int64_t version = 1);

  void close_stdin() { to_server_.reset(); }
  // Waits for the process to end; its exit code, or -1 on timeout / signal.
  int wait_exit(std::chrono::milliseconds timeout = 5s);
  bool running();

 private:
  // Reads one framed message before `deadline`; nullopt on timeout or end of output.
  std::optional<json> read_message(std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = -1;
  int exit_status_ = -1;
  Fd to_server_;
  Fd from_server_;
  std::string inbuf_;
  std::deque<json> notifications_;
  std::deque<json> responses_;
  int64_t next_id_ = 1;
};

template <class Pred>
std::optional<json> LspClient::wait_notification(const std::string& method, Pred pred,
                                                 std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (auto it = notifications_.begin(); it != notifications_.end(); ++it) {
      if ((*it).value("method", "") == method && pred(*it)) {
        json n = std::move(*it);
        notifications_.erase(it);
        return n;
      }
    }
    auto m = read_message(deadline);
    if (!m) return std::nullopt;
    if (m->contains("method") && !m->contains("id"))
      notifications_.push_back(std::move(*m));
    else
      responses_.push_back(std::move(*m));
  }
}

// `Content-Length: N\r\n\r\n<body>`.
std::string frame(std::string_view body);

// The diagnostics of a publishDiagnostics array whose `source` is `source`: "tl" for the parser's
// and the checker's, "tl-lint" for the linter's.
json diagnostics_from(const json& diagnostics, const std::string& source);

}  // namespace tl::lsp::test
