// libFuzzer: AtomicFileWriter against a fault-injecting file system. The input chooses the target
// (a new file, a file, a hard-linked file, a read-only file, a symlink), the chunks written and
// which system call fails with which errno. After every run: on success the target holds exactly
// the new bytes and keeps its mode; on failure (FileWriteError, the only exception allowed) a
// replaced target holds exactly the old bytes; and no temporary file is ever left behind.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "vm/core/atomic_file.h"

namespace fs = std::filesystem;

namespace {

class Input {
 public:
  Input(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  uint8_t byte() { return i_ < n_ ? d_[i_++] : 0; }
  std::string bytes(size_t k) {
    std::string s;
    while (k-- > 0 && i_ < n_) s += static_cast<char>(d_[i_++]);
    return s;
  }

 private:
  const uint8_t* d_;
  size_t n_, i_ = 0;
};

// Fails call number `fail_at` (over all calls) with `err`; writes are cut to `max_write` bytes.
class FaultyOps : public tl::FileOps {
 public:
  FaultyOps(int fail_at, int err, size_t max_write)
      : fail_at_(fail_at), err_(err), max_write_(max_write) {}
  int open(const char* p, int f, mode_t m) override { return hit() ? -1 : FileOps::open(p, f, m); }
  ssize_t write(int fd, const void* d, size_t n) override {
    return hit() ? -1 : FileOps::write(fd, d, std::min(n, max_write_));
  }
  int fallocate(int fd, off_t n) override { return hit() ? err_ : FileOps::fallocate(fd, n); }
  int ftruncate(int fd, off_t n) override { return hit() ? -1 : FileOps::ftruncate(fd, n); }
  int fchmod(int fd, mode_t m) override { return hit() ? -1 : FileOps::fchmod(fd, m); }
  int fsync(int fd) override { return hit() ? -1 : FileOps::fsync(fd); }
  int close(int fd) override {
    const int r = FileOps::close(fd);
    return hit() ? -1 : r;
  }
  int rename(const char* a, const char* b) override { return hit() ? -1 : FileOps::rename(a, b); }

 private:
  bool hit() {
    if (calls_++ != fail_at_) return false;
    errno = err_;
    return true;
  }
  int fail_at_, calls_ = 0, err_;
  size_t max_write_;
};

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path dir = [] {
    char t[] = "/tmp/tl_fuzz_writer_XXXXXX";
    if (!::mkdtemp(t)) std::abort();
    return fs::path(t);
  }();
  for (const auto& e : fs::directory_iterator(dir)) fs::remove_all(e.path());
  Input in(data, size);
  const uint8_t kind = in.byte() % 5;  // 0 new, 1 file, 2 hard link, 3 read-only, 4 symlink
  const int fail_at = in.byte() % 24;  // 23 and up: usually no fault
  static const int kErrnos[] = {ENOSPC, EIO, EDQUOT, EINTR, EXDEV, EACCES};
  const int err = kErrnos[in.byte() % 6];
  const size_t max_write = 1 + in.byte() % 64;
  const fs::path file = dir / "target", link = dir / "link";
  const std::string old = "old contents";
  if (kind != 0) std::ofstream(file, std::ios::binary) << old;
  if (kind == 2) fs::create_hard_link(file, dir / "other");
  if (kind == 3) ::chmod(file.c_str(), 0444);
  if (kind == 1) ::chmod(file.c_str(), 0640);
  if (kind == 4) fs::create_symlink("target", link);
  const fs::path target = kind == 4 ? link : file;

  std::string written;
  bool ok = false;
  FaultyOps ops(fail_at, err, max_write);
  try {
    tl::AtomicFileWriter w(target, &ops);
    for (int chunks = in.byte() % 4; chunks >= 0; --chunks) {
      const std::string chunk = in.bytes(in.byte());
      w.write(chunk);
      written += chunk;
    }
    w.commit();
    ok = true;
  } catch (const tl::FileWriteError&) {
  }
  if (kind == 3 && ok) std::abort();  // a read-only file was written
  if (ok && read(file) != written) std::abort();
  if (!ok && (kind == 1 || kind == 4) && read(file) != old) std::abort();
  if (kind == 1 && ::access(file.c_str(), F_OK) == 0) {
    struct stat st {};
    ::stat(file.c_str(), &st);
    if ((st.st_mode & 07777) != 0640) std::abort();
  }
  if (kind == 4 && !fs::is_symlink(link)) std::abort();
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename();
    if (name != "target" && name != "link" && name != "other") std::abort();  // a temp file left
  }
  return 0;
}
