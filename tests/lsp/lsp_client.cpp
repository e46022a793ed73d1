#include "tests/lsp/lsp_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace tl::lsp::test {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    reset();
    fd_ = o.release();
  }
  return *this;
}

int Fd::release() {
  int f = fd_;
  fd_ = -1;
  return f;
}

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string frame(std::string_view body) {
  return fmt::format("Content-Length: {}\r\n\r\n{}", body.size(), body);
}

LspClient::LspClient(std::vector<std::string> args, std::string server) {
  if (server.empty()) server = std::string(TL_BIN_DIR) + "/tl-lsp";
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  Fd in_read(in_pipe[0]), in_write(in_pipe[1]);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);

  std::vector<char*> argv;
  argv.push_back(server.data());
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Child: only async-signal-safe calls until exec.
    ::dup2(in_read.get(), 0);
    ::dup2(out_write.get(), 1);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  to_server_ = std::move(in_write);
  from_server_ = std::move(out_read);
  // A server that dies must show as a failed write, not kill the test with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
}

LspClient::~LspClient() {
  to_server_.reset();
  from_server_.reset();
  if (wait_exit(2s) == -1 && running()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

bool LspClient::running() {
  if (exit_status_ != -1 || pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = status;
    return false;
  }
  return true;
}

int LspClient::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(5ms);
  }
  if (exit_status_ == -1) return -1;
  return WIFEXITED(exit_status_) ? WEXITSTATUS(exit_status_) : -1;
}

void LspClient::send_raw(std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size() && to_server_) {
    ssize_t n = ::write(to_server_.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the server is gone; the next read reports it
    done += static_cast<size_t>(n);
  }
}

void LspClient::send(const json& message) {
  send_raw(frame(message.dump()));
}

int64_t LspClient::request(const std::string& method, json params) {
  int64_t id = next_id_++;
  send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}});
  return id;
}

void LspClient::notify(const std::string& method, json params) {
  send({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
}

std::optional<json> LspClient::read_message(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    size_t header_end = inbuf_.find("\r\n\r\n");
    if (header_end != std::string::npos) {
      constexpr std::string_view kLen = "Content-Length: ";
      size_t p = inbuf_.find(kLen);
      if (p == std::string::npos || p > header_end)
        throw std::runtime_error("bad framing from server");
      size_t len = std::stoul(inbuf_.substr(p + kLen.size()));
      if (inbuf_.size() >= header_end + 4 + len) {
        json m = json::parse(inbuf_.substr(header_end + 4, len));
        inbuf_.erase(0, header_end + 4 + len);
        return m;
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline || !from_server_) return std::nullopt;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    pollfd p{from_server_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(ms) + 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;  // timeout: the deadline check above ends it
    char buf[65536];
    ssize_t n = ::read(from_server_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;  // end of output
    inbuf_.append(buf, static_cast<size_t>(n));
  }
}

std::optional<json> LspClient::wait_response(const json& id, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (auto it = responses_.begin(); it != responses_.end(); ++it) {
      if ((*it)["id"] == id) {
        json r = std::move(*it);
        responses_.erase(it);
        return r;
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

json LspClient::call(const std::string& method, json params, std::chrono::milliseconds timeout) {
  int64_t id = request(method, std::move(params));
  auto r = wait_response(id, timeout);
  if (!r) return {{"timeout", true}, {"method", method}};
  return *r;
}

json LspClient::initialize(json capabilities, json initialization_options) {
  json params = {
      {"processId", nullptr}, {"rootUri", nullptr}, {"capabilities", std::move(capabilities)}};
  if (!initialization_options.is_null())
    params["initializationOptions"] = std::move(initialization_options);
  json r = call("initialize", std::move(params));
  notify("initialized");
  return r;
}

void LspClient::open(const std::string& uri, const std::string& text, int64_t version) {
  notify("textDocument/didOpen",
         {{"textDocument",
           {{"uri", uri}, {"languageId", "tensorlogic"}, {"version", version}, {"text", text}}}});
}

json diagnostics_from(const json& diagnostics, const std::string& source) {
  json out = json::array();
  if (!diagnostics.is_array()) return diagnostics;  // a timeout marker: keep it visible
  for (const auto& d : diagnostics)
    if (d.value("source", "") == source) out.push_back(d);
  return out;
}

}  // namespace tl::lsp::test
