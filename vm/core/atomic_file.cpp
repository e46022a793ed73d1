#include "vm/core/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

namespace tl {

int FileOps::open(const char* path, int flags, mode_t mode) {
  return ::open(path, flags, mode);
}
ssize_t FileOps::write(int fd, const void* data, size_t n) {
  return ::write(fd, data, n);
}
int FileOps::fallocate(int fd, off_t length) {
  return ::posix_fallocate(fd, 0, length);
}
int FileOps::ftruncate(int fd, off_t length) {
  return ::ftruncate(fd, length);
}
int FileOps::fchmod(int fd, mode_t mode) {
  return ::fchmod(fd, mode);
}
int FileOps::fchown(int fd, uid_t uid, gid_t gid) {
  return ::fchown(fd, uid, gid);
}
int FileOps::fsync(int fd) {
  return ::fsync(fd);
}
int FileOps::close(int fd) {
  return ::close(fd);
}
int FileOps::rename(const char* from, const char* to) {
  return ::rename(from, to);
}
int FileOps::unlink(const char* path) {
  return ::unlink(path);
}

namespace {

constexpr int kMaxSymlinks = 40;  // Linux's MAXSYMLINKS

std::filesystem::path directory_of(const std::filesystem::path& p) {
  return p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
}

}  // namespace

void AtomicFileWriter::fail(const std::string& why) const {
  throw FileWriteError(target_, why);
}

void AtomicFileWriter::fail_errno(const char* what, int err) const {
  fail(fmt::format("{}: {}", what, std::strerror(err)));
}

AtomicFileWriter::AtomicFileWriter(const std::filesystem::path& target, FileOps* ops)
    : ops_(ops ? ops : &default_ops_), target_(target), resolved_(target) {
  if (target.empty()) fail("the path is empty");
  if (target.native().find('\0') != std::string::npos) fail("the path contains a NUL byte");
  // Follow symlinks by hand, so that a dangling one names the file to create.
  for (int level = 0;; ++level) {
    struct stat ls {};
    if (::lstat(resolved_.c_str(), &ls) != 0) {
      if (errno != ENOENT) fail_errno("cannot inspect it", errno);
      break;
    }
    if (!S_ISLNK(ls.st_mode)) break;
    if (level == kMaxSymlinks) fail("too many levels of symbolic links");
    std::error_code ec;
    const std::filesystem::path link = std::filesystem::read_symlink(resolved_, ec);
    if (ec) fail("cannot read the symbolic link: " + ec.message());
    resolved_ = link.is_absolute() ? link : directory_of(resolved_) / link;
  }
  existed_ = ::stat(resolved_.c_str(), &old_) == 0;
  if (existed_) {
    if (S_ISDIR(old_.st_mode)) fail("it is a directory");
    if (S_ISCHR(old_.st_mode) || S_ISFIFO(old_.st_mode)) {
      mode_ = Mode::InPlaceStream;
      fd_ = ops_->open(resolved_.c_str(), O_WRONLY | O_CLOEXEC, 0);
      if (fd_ < 0) fail_errno("cannot open it", errno);
      return;
    }
    if (!S_ISREG(old_.st_mode)) fail("it is neither a regular file, a character device nor a FIFO");
    if ((old_.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0) fail("the existing file is read-only");
    if (old_.st_nlink > 1) mode_ = Mode::InPlaceLinked;
  }
  const std::filesystem::path dir = directory_of(resolved_);
  std::random_device random;
  for (int attempt = 0; attempt < 32 && fd_ < 0; ++attempt) {
    temp_ =
        dir / fmt::format(".{}.tmp-{}-{:08x}", resolved_.filename().string(), ::getpid(), random());
    // 0666 less the umask, as a new file gets; an existing file's mode is copied below.
    fd_ = ops_->open(temp_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd_ < 0 && errno != EEXIST) break;
  }
  if (fd_ < 0)
    fail(fmt::format("cannot create a temporary file in '{}': {}", dir.string(),
                     std::strerror(errno)));
  if (existed_ && mode_ == Mode::Replace) {
    // A constructor that throws runs no destructor: remove the temporary file here.
    try {
      // The owner first: chown may clear the set-id bits that chmod then restores.
      if ((old_.st_uid != ::geteuid() || old_.st_gid != ::getegid()) &&
          ops_->fchown(fd_, old_.st_uid, old_.st_gid) != 0 && errno != EPERM)
        fail_errno("cannot keep its owner", errno);
      if (ops_->fchmod(fd_, old_.st_mode & 07777) != 0) fail_errno("cannot keep its mode", errno);
    } catch (...) {
      discard();
      throw;
    }
  }
}

AtomicFileWriter::~AtomicFileWriter() {
  discard();
}

void AtomicFileWriter::discard() noexcept {
  if (fd_ >= 0) ops_->close(std::exchange(fd_, -1));
  if (!temp_.empty() && !committed_) ops_->unlink(temp_.c_str());
  temp_.clear();
}

void AtomicFileWriter::write(std::span<const std::byte> data) {
  if (committed_ || fd_ < 0) fail("write after commit");
  const std::byte* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ops_->write(fd_, p, std::min<size_t>(left, size_t{1} << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("write failed", errno);
    }
    if (n == 0) fail("write failed: no progress");
    p += n;
    left -= static_cast<size_t>(n);
    written_ += n;
  }
}

void AtomicFileWriter::commit() {
  if (committed_ || fd_ < 0) fail("commit twice");
  if (mode_ == Mode::InPlaceStream) {
    const int fd = std::exchange(fd_, -1);
    if (ops_->close(fd) != 0) fail_errno("close failed", errno);
    committed_ = true;
    return;
  }
  if (ops_->fsync(fd_) != 0) fail_errno("fsync failed", errno);
  if (mode_ == Mode::InPlaceLinked) {
    // The new content is safely in the temporary file; reserve the target's new size, then copy.
    const int target = ops_->open(resolved_.c_str(), O_WRONLY | O_CLOEXEC, 0);
    if (target < 0) fail_errno("cannot open it", errno);
    struct Closer {
      FileOps* ops;
      int fd;
      ~Closer() {
        if (fd >= 0) ops->close(fd);
      }
    } closer{ops_, target};
    if (const int err = ops_->fallocate(target, written_); err != 0 && err != EOPNOTSUPP)
      fail_errno("cannot reserve its new size", err);
    std::vector<std::byte> buffer(size_t{1} << 20);
    for (off_t at = 0; at < written_;) {
      const ssize_t got =
          ::pread(fd_, buffer.data(), std::min<off_t>(written_ - at, off_t(buffer.size())), at);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) fail_errno("cannot read back the temporary file", got < 0 ? errno : EIO);
      for (ssize_t done = 0; done < got;) {
        const ssize_t n = ops_->write(target, buffer.data() + done, size_t(got - done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail_errno("write failed", n < 0 ? errno : EIO);
        done += n;
      }
      at += got;
    }
    if (ops_->ftruncate(target, written_) != 0) fail_errno("truncate failed", errno);
    if (ops_->fsync(target) != 0) fail_errno("fsync failed", errno);
    if (ops_->close(std::exchange(closer.fd, -1)) != 0) fail_errno("close failed", errno);
    return;  // the destructor removes the temporary file
  }
  const int fd = std::exchange(fd_, -1);
  if (ops_->close(fd) != 0) fail_errno("close failed", errno);
  if (ops_->rename(temp_.c_str(), resolved_.c_str()) != 0) fail_errno("rename failed", errno);
  committed_ = true;
  // The content is durable already; this makes the new name durable too. A directory that
  // cannot be synced (some file systems refuse) does not undo a write that has happened.
  const int dir =
      ops_->open(directory_of(resolved_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dir >= 0) {
    (void)ops_->fsync(dir);
    ops_->close(dir);
  }
}

void write_file_atomically(const std::filesystem::path& path, std::string_view text, FileOps* ops) {
  AtomicFileWriter writer(path, ops);
  writer.write(text);
  writer.commit();
}

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  struct stat sa {
  }, sb{};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

}  // namespace tl
