// AtomicFileWriter (vm/core/atomic_file.h): the rules every writer follows, and its behaviour under
// injected faults (a full disk, failing fsync/close/rename) through the FileOps seam.
#include "vm/core/atomic_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tl {
namespace {

namespace fs = std::filesystem;

class AtomicFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tl_atomic_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static void put(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
  }
  // Every file in the directory: no temporary file may be left behind.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

// Fails the n-th call (0-based) of one kind of system call with `err`.
class FaultyOps : public FileOps {
 public:
  enum class Call { Write, Fsync, Close, Rename, Fallocate, Fchmod };
  FaultyOps(Call call, int err, int nth = 0) : call_(call), err_(err), nth_(nth) {}
  ssize_t write(int fd, const void* d, size_t n) override {
    if (hit(Call::Write)) return -1;
    return FileOps::write(fd, d, std::min<size_t>(n, 3));  // short writes, always
  }
  int fsync(int fd) override { return hit(Call::Fsync) ? -1 : FileOps::fsync(fd); }
  int fchmod(int fd, mode_t m) override { return hit(Call::Fchmod) ? -1 : FileOps::fchmod(fd, m); }
  int close(int fd) override {
    const int r = FileOps::close(fd);  // the descriptor is gone either way, as on Linux
    return hit(Call::Close) ? -1 : r;
  }
  int rename(const char* a, const char* b) override {
    return hit(Call::Rename) ? -1 : FileOps::rename(a, b);
  }
  int fallocate(int fd, off_t n) override {
    if (call_ == Call::Fallocate && count_++ == nth_) return err_;
    return FileOps::fallocate(fd, n);
  }

 private:
  bool hit(Call c) {
    if (c != call_ || count_++ != nth_) return false;
    errno = err_;
    return true;
  }
  Call call_;
  int err_, nth_, count_ = 0;
};

TEST_F(AtomicFile, ReplacesContentAndKeepsMode) {
  const fs::path p = dir_ / "a.bin";
  put(p, "old content");
  ASSERT_EQ(::chmod(p.c_str(), 0600), 0);
  write_file_atomically(p, "new");
  EXPECT_EQ(read(p), "new");
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(entries(), std::vector<std::string>{"a.bin"});
}

TEST_F(AtomicFile, NewFileGetsUmaskMode) {
  const mode_t old = ::umask(022);
  write_file_atomically(dir_ / "n.bin", "x");
  ::umask(old);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "n.bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST_F(AtomicFile, FollowsSymlinksAndKeepsThem) {
  put(dir_ / "real", "old");
  fs::create_symlink("real", dir_ / "link");
  fs::create_symlink(dir_ / "link", dir_ / "link2");
  write_file_atomically(dir_ / "link2", "new");
  EXPECT_TRUE(fs::is_symlink(dir_ / "link"));
  EXPECT_TRUE(fs::is_symlink(dir_ / "link2"));
  EXPECT_EQ(read(dir_ / "real"), "new");
  // A dangling link names the file to create.
  fs::create_symlink("made", dir_ / "dangling");
  write_file_atomically(dir_ / "dangling", "born");
  EXPECT_TRUE(fs::is_symlink(dir_ / "dangling"));
  EXPECT_EQ(read(dir_ / "made"), "born");
  // A loop is an error, not a hang.
  fs::create_symlink("loop", dir_ / "loop");
  EXPECT_THROW(write_file_atomically(dir_ / "loop", "x"), FileWriteError);
}

TEST_F(AtomicFile, HardLinksSeeTheNewContent) {
  put(dir_ / "one", "old content, longer than the new");
  fs::create_hard_link(dir_ / "one", dir_ / "two");
  write_file_atomically(dir_ / "one", "new");
  EXPECT_EQ(read(dir_ / "two"), "new");
  EXPECT_EQ(fs::hard_link_count(dir_ / "one"), 2u);
  EXPECT_EQ(entries(), (std::vector<std::string>{"one", "two"}));
}

TEST_F(AtomicFile, RefusesReadOnlyFilesAndDirectories) {
  const fs::path p = dir_ / "ro";
  put(p, "keep");
  ASSERT_EQ(::chmod(p.c_str(), 0444), 0);
  try {
    write_file_atomically(p, "x");
    FAIL() << "a read-only file was written";
  } catch (const FileWriteError& e) {
    EXPECT_EQ(e.reason(), "the existing file is read-only");
  }
  EXPECT_EQ(read(p), "keep");
  EXPECT_THROW(write_file_atomically(dir_, "x"), FileWriteError);
  EXPECT_THROW(write_file_atomically(std::string("a\0b", 3), "x"), FileWriteError);
  EXPECT_EQ(entries(), std::vector<std::string>{"ro"});
}

TEST_F(AtomicFile, WritesFifosInPlace) {
  const fs::path p = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
  const int reader = ::open(p.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  write_file_atomically(p, "through the pipe");
  char buf[64] = {};
  EXPECT_EQ(::read(reader, buf, sizeof buf), 16);
  ::close(reader);
  EXPECT_EQ(std::string(buf), "through the pipe");
  EXPECT_TRUE(fs::is_fifo(p));
}

TEST_F(AtomicFile, CharacterDevicesAreWrittenNotReplaced) {
  write_file_atomically("/dev/null", "gone");
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  // /dev/full: the write fails (a full disk) and says so.
  try {
    write_file_atomically("/dev/full", "data");
    FAIL() << "a write to /dev/full succeeded";
  } catch (const FileWriteError& e) {
    EXPECT_NE(e.reason().find("No space left on device"), std::string::npos) << e.reason();
  }
  EXPECT_TRUE(fs::is_character_file("/dev/full"));
}

// Every failing step leaves the old file as it was, removes the temporary file and throws. (A
// failing fchmod, found by fuzz_writer, left the temporary file: the constructor threw.)
TEST_F(AtomicFile, FaultsLeaveTheOldFileIntact) {
  using C = FaultyOps::Call;
  const std::string payload(10000, 'n');
  for (auto [call, err, nth] : std::vector<std::tuple<C, int, int>>{{C::Write, ENOSPC, 0},
                                                                    {C::Write, ENOSPC, 500},
                                                                    {C::Write, EIO, 3000},
                                                                    {C::Fsync, EIO, 0},
                                                                    {C::Close, EIO, 0},
                                                                    {C::Close, ENOSPC, 0},
                                                                    {C::Rename, EXDEV, 0},
                                                                    {C::Fchmod, EIO, 0}}) {
    const fs::path p = dir_ / "target";
    put(p, "old");
    FaultyOps ops(call, err, nth);
    EXPECT_THROW(write_file_atomically(p, payload, &ops), FileWriteError)
        << static_cast<int>(call) << " " << nth;
    EXPECT_EQ(read(p), "old") << static_cast<int>(call) << " " << nth;
    EXPECT_EQ(entries(), std::vector<std::string>{"target"}) << static_cast<int>(call);
  }
  // Short writes alone are no fault.
  FaultyOps none(C::Rename, 0, 1000);
  write_file_atomically(dir_ / "target", payload, &none);
  EXPECT_EQ(read(dir_ / "target"), payload);
}

TEST_F(AtomicFile, HardLinkedTargetReservesSpaceFirst) {
  put(dir_ / "one", "old");
  fs::create_hard_link(dir_ / "one", dir_ / "two");
  FaultyOps full(FaultyOps::Call::Fallocate, ENOSPC);
  EXPECT_THROW(write_file_atomically(dir_ / "one", std::string(5000, 'x'), &full), FileWriteError);
  EXPECT_EQ(read(dir_ / "two"), "old");
  EXPECT_EQ(entries(), (std::vector<std::string>{"one", "two"}));
}

TEST_F(AtomicFile, SameFile) {
  put(dir_ / "a", "x");
  fs::create_symlink("a", dir_ / "l");
  fs::create_hard_link(dir_ / "a", dir_ / "h");
  EXPECT_TRUE(same_file(dir_ / "a", dir_ / "l"));
  EXPECT_TRUE(same_file(dir_ / "h", dir_ / "l"));
  EXPECT_FALSE(same_file(dir_ / "a", dir_ / "missing"));
}

}  // namespace
}  // namespace tl
