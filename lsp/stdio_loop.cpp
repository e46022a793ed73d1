#include "lsp/stdio_loop.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <istream>
#include <streambuf>
#include <thread>

#include "lsp/message.h"
#include "lsp/message_queue.h"

namespace tl::lsp {
namespace {

// A read-only streambuf over a file descriptor that polls, so the reader thread notices a stop
// request (after `exit`) instead of blocking in read() forever.
class PollingFdBuf final : public std::streambuf {
 public:
  PollingFdBuf(int fd, std::stop_token stop) : fd_(fd), stop_(std::move(stop)) {}

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    for (;;) {
      if (stop_.stop_requested()) return traits_type::eof();
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, 100);
      if (r < 0 && errno != EINTR) return traits_type::eof();
      if (r <= 0) continue;
      ssize_t n = ::read(fd_, buf_, sizeof buf_);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return traits_type::eof();
      setg(buf_, buf_, buf_ + n);
      return traits_type::to_int_type(*gptr());
    }
  }

 private:
  int fd_;
  std::stop_token stop_;
  char buf_[1 << 16];
};

}  // namespace

int run_server(int in_fd, int out_fd, std::unique_ptr<Analyzer> analyzer, ServerOptions options) {
  FdOutput output(out_fd);
  MessageQueue queue;
  Server server(output, std::move(analyzer), options);
  std::FILE* log = options.log;
  // Declared last: on return it is asked to stop and joined before the queue and server go.
  std::jthread reader([&](std::stop_token stop) {
    PollingFdBuf buf(in_fd, stop);
    std::istream in(&buf);
    MessageReader r(in, log);
    while (auto body = r.next()) accept_body(*body, output, queue);
    queue.close();
  });
  while (auto message = queue.pop()) {
    server.handle(*message);
    if (server.exit_requested()) return server.exit_code();
  }
  // End of input without `exit`: the client is gone.
  return server.exit_code();
}

}  // namespace tl::lsp
