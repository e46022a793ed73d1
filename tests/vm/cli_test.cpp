// tlvm end to end: exit codes and messages for good files, corrupted files and usage errors.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/vm/vm_test_util.h"
#include "vm/bytecode/tlbc_file.h"
#include "vm/runtime/program_args.h"

namespace tl {
namespace {

namespace fs = std::filesystem;

struct Proc {
  int code;
  std::string out, err;
};

Proc run(const std::string& args, const std::string& tool = "tlvm") {
  // Per-process directory: ctest runs the tests of this file in parallel.
  fs::path dir = fs::temp_directory_path() / ("tl_vm_cli_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::string cmd = std::string(TL_BIN_DIR) + "/" + tool + " " + args + " >" +
                    (dir / "out").string() + " 2>" + (dir / "err").string();
  int status = std::system(cmd.c_str());
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir / "out"), slurp(dir / "err")};
}

fs::path write_file(const std::string& name, const std::vector<uint8_t>& bytes) {
  fs::path p = fs::temp_directory_path() / ("tl_vm_cli_test_" + std::to_string(getpid())) / name;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  return p;
}

Module hello(bool divide_by_zero) {
  ModuleBuilder mb;
  uint32_t src = mb.source("hello.tl");
  uint32_t main = mb.declare_function("<script>", 0);
  mb.set_entry(main);
  auto& f = mb.function(main);
  f.set_source(src);
  f.at(1, 1);
  f.emit(OpCode::LOADK, 1, static_cast<int>(mb.constant("hello")));
  f.emit(OpCode::LOADF, 2, 3);
  f.emit(OpCode::LOADNONE, 3, 0);  // print's end and stderr: none
  f.emit(OpCode::LOADNONE, 4, 0);
  f.call_builtin(0, Builtin::Print, 4);  // R[1], R[2]; end, stderr: none
  if (divide_by_zero) {
    f.at(2, 9);
    f.emit(OpCode::LOADI, 1, 0);
    f.emit(OpCode::LOADF, 2, 3);  // CALLB released its argument registers
    f.emit(OpCode::DIV, 0, 2, 1);
  }
  f.emit(OpCode::RETURN, 0, 0);
  return mb.finish();
}

TEST(Tlvm, RunsAFile) {
  auto p = write_file("hello.tlbc", write_module(hello(false)));
  Proc r = run(p.string());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "hello 3.0\n");
  EXPECT_EQ(run(p.string() + " --device cpu").code, 0);
}

TEST(Tlvm, RuntimeErrorExits1WithPosition) {
  auto p = write_file("div.tlbc", write_module(hello(true)));
  Proc r = run(p.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "hello 3.0\n");
  EXPECT_EQ(r.err,
            "hello.tl:2:9: runtime error: float division by zero\n  at <script> (hello.tl:2:9)\n");
}

// --stats (before the file) counts every instruction dispatched, also up to a run-time error;
// after the file it is the program's word.
TEST(Tlvm, StatsCountTheInstructionsRun) {
  auto p = write_file("hello.tlbc", write_module(hello(false)));
  Proc r = run("--stats " + p.string());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "hello 3.0\n");
  EXPECT_EQ(r.err, "stats: 6 instructions executed\n");  // LOADK LOADF LOADNONE x2 CALLB RETURN
  auto d = write_file("div.tlbc", write_module(hello(true)));
  r = run("--stats " + d.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "stats: 8 instructions executed");  // to the DIV
  r = run(p.string() + " --stats");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.err, "");
}

TEST(Tlvm, CorruptedFileExits1) {
  auto bytes = write_module(hello(false));
  bytes[bytes.size() / 2] ^= 1;
  auto p = write_file("bad.tlbc", bytes);
  Proc r = run(p.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, p.string() + ": error: checksum mismatch: the file is corrupted\n");
  r = run((p.parent_path() / "missing.tlbc").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("missing.tlbc: error: cannot open file"), std::string::npos);
}

TEST(Tlvm, Usage) {
  EXPECT_EQ(run("--help").code, 0);
  EXPECT_EQ(run("").code, 2);
  EXPECT_EQ(run("--bogus x.tlbc").code, 2);
  auto p = write_file("hello.tlbc", write_module(hello(false)));
  // Vulkan runs the program where a device exists (lavapipe counts); elsewhere it is a usage
  // error that says why.
  Proc r = run(p.string() + " --device vulkan");
  if (r.code == 0) {
    EXPECT_EQ(r.out, run(p.string() + " --device cpu").out);
  } else {
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("Vulkan"), std::string::npos) << r.err;
  }
  Proc bad = run(p.string() + " --device tpu");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("unknown device 'tpu'"), std::string::npos) << bad.err;
}

TEST(TlDisasm, ListsAFileAndRejectsBadOnes) {
  auto p = write_file("div.tlbc", write_module(hello(true)));
  Proc r = run("disasm " + p.string(), "tl");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("DIV         0 2 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("K0    string  \"hello\""), std::string::npos) << r.out;
  r = run("disasm --format=json " + p.string(), "tl");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("\"op\": \"DIV\""), std::string::npos) << r.out;
  auto bytes = write_module(hello(false));
  bytes.resize(bytes.size() - 1);
  auto bad = write_file("short.tlbc", bytes);
  r = run("disasm " + bad.string(), "tl");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(bad.string() + ": error: file size mismatch"), std::string::npos) << r.err;
  EXPECT_EQ(run("disasm", "tl").code, 2);
}

}  // namespace
}  // namespace tl

namespace tl {
namespace {

// `tl run`/`tlvm`: the driver's words up to the file, the program's after it.
TEST(ProgramArgs, SplitAtTheFile) {
  static constexpr std::string_view kOpts[] = {"--device"};
  auto split = [&](std::vector<std::string> w) { return split_program_args(w, kOpts); };
  using V = std::vector<std::string>;
  auto a = split({"--device", "cpu", "llama.tl", "m.gguf", "Hi there", "4", "--temp", "0.5"});
  EXPECT_EQ(a.driver, (V{"--device", "cpu", "llama.tl"}));
  EXPECT_EQ(a.program, (V{"m.gguf", "Hi there", "4", "--temp", "0.5"}));
  auto b = split({"x.tl", "--device", "vulkan", "a", "--device=cpu"});  // still the driver's
  EXPECT_EQ(b.driver, (V{"x.tl", "--device", "vulkan", "--device=cpu"}));
  EXPECT_EQ(b.program, (V{"a"}));
  auto c = split({"x.tl", "--", "--device", "cpu", "--"});
  EXPECT_EQ(c.driver, (V{"x.tl"}));
  EXPECT_EQ(c.program, (V{"--device", "cpu", "--"}));
  auto d = split({"--help"});
  EXPECT_EQ(d.driver, (V{"--help"}));
  EXPECT_TRUE(d.program.empty());
}

// `tl check`: a flag without a value stays the driver's after the file; `before_dashes` counts
// the program's words before `--` (the leading `.tl` ones are more files to check).
TEST(ProgramArgs, FlagsAndWordsBeforeTheDashes) {
  static constexpr std::string_view kOpts[] = {"--format"};
  static constexpr std::string_view kFlags[] = {"--dump-ast"};
  using V = std::vector<std::string>;
  V w{"a.tl", "b.tl", "--dump-ast", "m.gguf", "--format", "json", "--", "c.tl", "--dump-ast"};
  auto s = split_program_args(w, kOpts, kFlags);
  EXPECT_EQ(s.driver, (V{"a.tl", "--dump-ast", "--format", "json"}));
  EXPECT_EQ(s.program, (V{"b.tl", "m.gguf", "c.tl", "--dump-ast"}));
  EXPECT_EQ(s.before_dashes, 2u);
  V none{"a.tl", "x", "y"};
  EXPECT_EQ(split_program_args(none, kOpts, kFlags).before_dashes, 2u);
}

}  // namespace
}  // namespace tl
