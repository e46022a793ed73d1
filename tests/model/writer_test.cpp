// save_safetensors: round trip, the reference writer's layout, atomicity.
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "tests/model/test_util.h"
#include "vm/model/model.h"

namespace tl {
namespace {

struct Owned {
  std::string name;
  Shape shape;
  std::vector<f16_bits> data;
};

std::vector<Owned> sample_tensors() {
  std::vector<Owned> ts;
  // Deliberately out of name order, with odd byte sizes, a 0-d and an empty tensor, and special
  // values (inf, nan, subnormal, -0).
  ts.push_back({"z.weight", Shape{3, 5}, {}});
  ts.push_back({"a.bias", Shape{3}, {0x3c00, 0x7c00, 0x0001}});
  ts.push_back({"m.scalar", Shape{}, {0x8000}});
  ts.push_back({"e.empty", Shape{0, 4}, {}});
  ts.push_back({"b.nan", Shape{1, 1}, {0x7e00}});
  for (int i = 0; i < 15; ++i)
    ts[0].data.push_back(f32_to_f16(static_cast<float>(i) * 0.37f - 2.0f));
  return ts;
}

std::vector<NamedTensorF16> views(const std::vector<Owned>& ts) {
  std::vector<NamedTensorF16> v;
  for (const auto& t : ts) v.push_back({t.name, t.shape, t.data});
  return v;
}

TEST(Writer, RoundTripIdenticalBits) {
  test::TempDir dir;
  const auto p = dir.path() / "out.safetensors";
  const auto ts = sample_tensors();
  save_safetensors(p, views(ts), {{"note", "round trip"}, {"format", "ignored"}});
  auto m = Model::open(p);
  const auto& h = m->header();
  ASSERT_EQ(h.tensors.size(), ts.size());
  for (const auto& t : ts) {
    const auto* info = h.find(t.name);
    ASSERT_NE(info, nullptr) << t.name;
    EXPECT_EQ(info->dtype, DType::F16);
    EXPECT_EQ(info->shape, t.shape);
    EXPECT_EQ(m->to_f16(*info), t.data) << t.name;
  }
  EXPECT_EQ(h.find_metadata("format")->value->get<std::string>(), "pt");
  EXPECT_EQ(h.find_metadata("note")->value->get<std::string>(), "round trip");
}

TEST(Writer, LayoutFollowsTheReferenceWriter) {
  test::TempDir dir;
  const auto p = dir.path() / "out.safetensors";
  const auto ts = sample_tensors();
  save_safetensors(p, views(ts));
  const std::string bytes = test::read_text(p);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  EXPECT_EQ(n % 8, 0u);
  const std::string header = bytes.substr(8, n);
  EXPECT_EQ(header.rfind("{\"__metadata__\":{\"format\":\"pt\"}", 0), 0u) << header;
  EXPECT_EQ(header.find_last_not_of(' ') + 1 + (n - header.find_last_not_of(' ') - 1), n);
  EXPECT_NE(header.find("\"a.bias\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]}"),
            std::string::npos)
      << header;
  // Data in name order: a.bias, b.nan, e.empty, m.scalar, z.weight.
  const auto h = read_model_header(p);
  std::vector<std::string> names;
  for (const auto& t : h.tensors) names.push_back(t.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"a.bias", "b.nan", "e.empty", "m.scalar", "z.weight"}));
  EXPECT_EQ(bytes.size(), 8 + n + 2 * (3 + 1 + 0 + 1 + 15));
}

TEST(Writer, RefusesBadInputWithoutTouchingTheFile) {
  test::TempDir dir;
  const auto p = dir.path() / "out.safetensors";
  std::vector<f16_bits> two(2);
  const std::vector<NamedTensorF16> wrong_size = {{"x", Shape{3}, two}};
  EXPECT_THROW(save_safetensors(p, wrong_size), RuntimeError);
  const std::vector<NamedTensorF16> dup = {{"x", Shape{2}, two}, {"x", Shape{2}, two}};
  EXPECT_THROW(save_safetensors(p, dup), RuntimeError);
  const std::vector<NamedTensorF16> reserved = {{"__metadata__", Shape{2}, two}};
  EXPECT_THROW(save_safetensors(p, reserved), RuntimeError);
  EXPECT_FALSE(std::filesystem::exists(p));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // no temporary left behind
}

TEST(Writer, ReadOnlyExistingFileIsLeftIntact) {
  test::TempDir dir;
  const auto p = dir.path() / "old.safetensors";
  std::filesystem::copy_file(test::fixture("safetensors/linear.safetensors"), p);
  ::chmod(p.c_str(), 0444);
  const std::string before = test::read_text(p);
  const auto ts = sample_tensors();
  try {
    save_safetensors(p, views(ts));
    FAIL() << "saving over a read-only file succeeded";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("read-only"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(test::read_text(p), before);
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(Writer, UnwritableDirectoryFailsCleanly) {
  test::TempDir dir;
  const auto ts = sample_tensors();
  // A "directory" that is a regular file: fails for every user, root included.
  const auto not_a_dir = dir.path() / "plain_file";
  test::write_bytes(not_a_dir, "x");
  try {
    save_safetensors(not_a_dir / "out.safetensors", views(ts));
    FAIL();
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot save"), std::string::npos) << e.what();
  }
  EXPECT_THROW(save_safetensors(dir.path() / "no" / "such" / "dir" / "x.safetensors", views(ts)),
               RuntimeError);
  // A directory without write permission (root ignores permissions, so only as a normal user).
  if (::geteuid() != 0) {
    const auto ro = dir.path() / "ro";
    std::filesystem::create_directory(ro);
    const auto p = ro / "old.safetensors";
    std::filesystem::copy_file(test::fixture("safetensors/linear.safetensors"), p);
    ::chmod(p.c_str(), 0644);
    const std::string before = test::read_text(p);
    ::chmod(ro.c_str(), 0555);
    EXPECT_THROW(save_safetensors(p, views(ts)), RuntimeError);
    ::chmod(ro.c_str(), 0755);
    EXPECT_EQ(test::read_text(p), before);
  }
}

// A write that fails part-way (as on a full disk) leaves the old file as it was and no temporary
// file behind. RLIMIT_FSIZE makes write() fail with EFBIG after 4 KiB, in a child process so the
// limit does not leak into other tests.
TEST(Writer, FailedWriteLeavesTheOldFileIntact) {
  test::TempDir dir;
  const auto p = dir.path() / "m.safetensors";
  std::filesystem::copy_file(test::fixture("safetensors/mlp.safetensors"), p);
  ::chmod(p.c_str(), 0644);
  const std::string before = test::read_text(p);
  const std::vector<f16_bits> big(1 << 16, 0x3c00);  // 128 KiB of data
  const std::vector<NamedTensorF16> tensors = {{"big", Shape{1 << 16}, big}};
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      save_safetensors(p, tensors);
    } catch (const RuntimeError& e) {
      const std::string what = e.what();
      ::_exit(what.find("write failed") != std::string::npos ? 0 : 2);
    }
    ::_exit(1);  // no error: the limit did not bite
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no error, 2: error without 'write failed'";
  EXPECT_EQ(test::read_text(p), before);
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1u);  // the temporary file was removed
}

TEST(Writer, ReplacesAnExistingWritableFile) {
  test::TempDir dir;
  const auto p = dir.path() / "m.safetensors";
  std::filesystem::copy_file(test::fixture("safetensors/mlp.safetensors"), p);
  ::chmod(p.c_str(), 0644);  // the fixtures are read-only; the copy keeps their mode
  const auto ts = sample_tensors();
  save_safetensors(p, views(ts));
  EXPECT_EQ(read_model_header(p).tensors.size(), ts.size());
}

}  // namespace
}  // namespace tl
