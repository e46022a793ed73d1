// The one way the toolchain replaces a file's contents (`tl compile -o`, `save_model`, `tl fmt`).
//
// The rules (docs/cli.md, "Writing files"):
// - A symlink is followed (up to 40 levels, dangling ones too): the file it names is written, the
//   link stays a link.
// - A regular file is replaced atomically: a new temporary file with a random name in the same
//   directory (created exclusively, never followed), written, given the old file's mode and owner,
//   fsynced and closed with every error checked, renamed over the target, and the directory
//   fsynced. Readers see the old content or the new, never a mix; on any failure the temporary
//   file is removed and the old file is intact.
// - A regular file with several hard links is rewritten in place, so that every link sees the new
//   content: its new size is reserved first (posix_fallocate), so a full disk is reported before
//   any byte changes; such a write is not atomic.
// - A file without any write permission bit is refused (also for root): read-only is the user's
//   statement that it must not change.
// - A character device or FIFO (`/dev/null`, `/dev/stdout`, a pipe) is written in place, never
//   replaced. Directories, block devices and sockets are refused.
//
// Every system call goes through FileOps, the seam through which tests and the writers' fuzzer
// inject faults (a full disk, a failing close or rename, short writes).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>

#include "vm/core/error.h"

namespace tl {

// A write that failed; what() is "cannot write 'PATH': WHY", reason() is WHY.
class FileWriteError : public RuntimeError {
 public:
  FileWriteError(const std::filesystem::path& path, std::string why)
      : RuntimeError("cannot write '" + path.string() + "': " + why), reason_(std::move(why)) {}
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

// The system calls of an atomic write. Each returns what the POSIX call returns and sets errno.
class FileOps {
 public:
  virtual ~FileOps() = default;
  virtual int open(const char* path, int flags, mode_t mode);
  virtual ssize_t write(int fd, const void* data, size_t n);
  virtual int fallocate(int fd, off_t length);  // posix_fallocate's result (an errno value or 0)
  virtual int ftruncate(int fd, off_t length);
  virtual int fchmod(int fd, mode_t mode);
  virtual int fchown(int fd, uid_t uid, gid_t gid);
  virtual int fsync(int fd);
  virtual int close(int fd);
  virtual int rename(const char* from, const char* to);
  virtual int unlink(const char* path);
};

// Replaces a file's contents by the rules above. Construct, write() any number of times,
// commit(); destroying it uncommitted removes the temporary file and leaves the target as it was
// (a hard-linked or in-place target may then be partly written: see above).
class AtomicFileWriter {
 public:
  // Resolves `target` and creates the temporary file; throws FileWriteError. `ops` (not owned)
  // defaults to the real system calls.
  explicit AtomicFileWriter(const std::filesystem::path& target, FileOps* ops = nullptr);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(std::span<const std::byte> data);
  void write(std::string_view text) { write(std::as_bytes(std::span(text.data(), text.size()))); }
  void commit();

  // The file that is written: `target` with its symlinks resolved.
  const std::filesystem::path& resolved() const { return resolved_; }

 private:
  enum class Mode { Replace, InPlaceLinked, InPlaceStream };
  [[noreturn]] void fail(const std::string& why) const;
  [[noreturn]] void fail_errno(const char* what, int err) const;
  void discard() noexcept;  // closes and removes the temporary file (uncommitted)

  FileOps default_ops_;
  FileOps* ops_;
  std::filesystem::path target_;    // as given, for messages
  std::filesystem::path resolved_;  // after following symlinks
  std::filesystem::path temp_;      // Replace: the temporary file
  Mode mode_ = Mode::Replace;
  int fd_ = -1;
  off_t written_ = 0;
  bool committed_ = false;
  struct stat old_ {};
  bool existed_ = false;
};

// Writes `text` as the whole content of `path` through AtomicFileWriter.
void write_file_atomically(const std::filesystem::path& path, std::string_view text,
                           FileOps* ops = nullptr);

// True when `a` and `b` name the same existing file (after symlinks, through hard links).
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace tl
