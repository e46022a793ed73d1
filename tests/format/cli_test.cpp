// `tl fmt` end to end: in-place rewrite (permissions kept), --check with its diff and exit code,
// stdin to stdout, files with syntax errors left untouched.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/format/format_test_util.h"

namespace fs = std::filesystem;
using namespace tl::format::testing;

namespace {

struct Result {
  int status;
  std::string out;
};

Result run(const std::string& args) {
  std::string cmd = std::string(TL_BIN_DIR) + "/tl " + args + " 2>&1";
  Result r{-1, {}};
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class FmtCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tl_fmt_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path file(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    write_file(p, text);
    return p;
  }
  fs::path dir_;
};

const char* kUgly = "function f(a,b){return a+b}\nx:=f(1,2)\n";
const char* kPretty = "fn f(a, b) {\n    return a + b\n}\nlet x = f(1, 2)\n";

TEST_F(FmtCli, RewritesInPlaceKeepingPermissions) {
  fs::path p = file("a.tl", kUgly);
  ::chmod(p.c_str(), 0640);
  Result r = run("fmt " + p.string());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(read_file(p), kPretty);
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  for (const auto& e : fs::directory_iterator(dir_))  // no temporary file left behind
    EXPECT_EQ(e.path().filename(), "a.tl");
}

TEST_F(FmtCli, CheckPrintsADiffAndExitsOne) {
  fs::path ugly = file("ugly.tl", kUgly), pretty = file("pretty.tl", kPretty);
  Result r = run("fmt --check " + ugly.string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("-function f(a,b){return a+b}\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("+fn f(a, b) {\n"), std::string::npos) << r.out;
  EXPECT_EQ(read_file(ugly), kUgly);  // --check changes nothing
  r = run("fmt --check " + pretty.string());
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "");
}

TEST_F(FmtCli, StdinToStdout) {
  fs::path p = file("in.tl", kUgly);
  Result r = run("fmt - < " + p.string());
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, kPretty);
}

TEST_F(FmtCli, SyntaxErrorsLeaveTheFileUntouched) {
  const char* bad = "let x = (1 +\nprint(x\n";
  fs::path p = file("bad.tl", bad);
  Result r = run("fmt " + p.string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("bad.tl:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("error"), std::string::npos) << r.out;
  EXPECT_EQ(read_file(p), bad);
}

TEST_F(FmtCli, UsageErrors) {
  EXPECT_EQ(run("fmt").status, 2);
  EXPECT_EQ(run("fmt --bogus x.tl").status, 2);
  EXPECT_EQ(run("fmt --help").status, 0);
  EXPECT_EQ(run("fmt " + (dir_ / "missing.tl").string()).status, 2);
}

}  // namespace
