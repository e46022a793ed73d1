#include "vm/model/mapped_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>

#include "vm/model/model.h"

namespace tl {

namespace {
// Closes the descriptor on every path out of the constructor; the mapping outlives it.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};
// A mapped file truncated by another process turns reads past its new end into SIGBUS. The
// handler names the file, flushes the output printed so far and exits with status 1, the status
// of a run-time error (docs/models.md). A signal handler can only find the file through
// process-wide state: this table of live mappings, written under a lock and read lock-free.
struct Region {
  std::atomic<const std::byte*> begin{nullptr};
  std::atomic<size_t> size{0};
  std::array<char, 512> path{};  // NUL-terminated, truncated if longer
};
constexpr size_t kRegions = 256;
std::array<Region, kRegions> g_regions;
std::mutex g_regions_mutex;

void write_all(int fd, const char* s) {
  for (size_t n = std::strlen(s); n > 0;) {
    const ssize_t w = ::write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

void on_sigbus(int sig, siginfo_t* info, void*) {
  const auto* at = static_cast<const std::byte*>(info->si_addr);
  const char* path = nullptr;
  for (Region& r : g_regions) {
    const std::byte* b = r.begin.load(std::memory_order_acquire);
    if (b && at >= b && at < b + r.size.load(std::memory_order_acquire)) path = r.path.data();
  }
  if (!path) {  // not a model file: the default action, as before
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return;
  }
  // Not async-signal-safe in general, but this fault is synchronous, raised while copying
  // tensor data, never inside the streams; losing printed output would be worse.
  std::cout.flush();
  std::fflush(stdout);
  write_all(2, "error: the model file '");
  write_all(2, path);
  write_all(2,
            "' changed while it was in use (it was truncated or overwritten): its tensor data can "
            "no longer be read\n");
  ::_exit(1);
}

void install_sigbus_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, nullptr);
  });
}

void register_region(const std::byte* begin, size_t size, const std::filesystem::path& path) {
  install_sigbus_handler();
  std::lock_guard lock(g_regions_mutex);
  for (Region& r : g_regions) {
    if (r.begin.load(std::memory_order_relaxed)) continue;
    std::snprintf(r.path.data(), r.path.size(), "%s", path.c_str());
    r.size.store(size, std::memory_order_release);
    r.begin.store(begin, std::memory_order_release);
    return;
  }
  // More than kRegions live mappings: a fault in this one gets the default SIGBUS.
}

void unregister_region(const std::byte* begin) {
  std::lock_guard lock(g_regions_mutex);
  for (Region& r : g_regions)
    if (r.begin.load(std::memory_order_relaxed) == begin)
      r.begin.store(nullptr, std::memory_order_release);
}

}  // namespace

MappedFile::MappedFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ModelFileError(path, "is a directory, not a model file");
  // O_NONBLOCK: opening a FIFO without a writer must not hang (the checker and the LSP open
  // whatever path a program names); regular files ignore the flag.
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  if (f.fd < 0) throw ModelFileError(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0)
    throw ModelFileError(path, std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw ModelFileError(path, "is not a regular file");
  size_ = static_cast<size_t>(st.st_size);
  if (size_ == 0) return;
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, f.fd, 0);
  if (p == MAP_FAILED)
    throw ModelFileError(path, std::string("cannot map into memory: ") + std::strerror(errno));
  data_ = static_cast<const std::byte*>(p);
  register_region(data_, size_, path);
}

MappedFile::~MappedFile() {
  if (!data_) return;
  unregister_region(data_);
  ::munmap(const_cast<std::byte*>(data_), size_);
}

}  // namespace tl
