// Run-time errors: position of the failing instruction, message, TL stack trace, recursion limit.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/vm/vm_test_util.h"
#include "vm/runtime/error_report.h"

namespace tl {
namespace {

using test::run_module;

TEST(VmErrors, PositionAndStackTrace) {
  ModuleBuilder mb;
  uint32_t src = mb.source("prog.tl");
  uint32_t main = mb.declare_function("<script>", 0);
  uint32_t inner = mb.declare_function("inner", 1);
  uint32_t outer = mb.declare_function("outer", 1);
  mb.set_entry(main);
  auto& i = mb.function(inner);
  i.set_source(src);
  i.at(2, 12);
  i.emit(OpCode::LOADI, 1, 0);
  i.at(3, 14);
  i.emit(OpCode::DIV, 0, 0, 1);
  i.emit(OpCode::RETURN, 0, 1);
  auto& o = mb.function(outer);
  o.set_source(src);
  o.at(6, 10);
  o.emit(OpCode::MOVE, 2, 0);
  o.emit(OpCode::CALL, 1, static_cast<int>(inner));
  o.emit(OpCode::RETURN, 1, 1);
  auto& f = mb.function(main);
  f.set_source(src);
  f.at(9, 1);
  f.emit(OpCode::LOADI, 1, 7);
  f.at(9, 7);
  f.emit(OpCode::CALL, 0, static_cast<int>(outer));
  f.emit(OpCode::RETURN, 0, 0);
  auto r = run_module(mb.finish());
  EXPECT_EQ(r.error,
            "prog.tl:3:14: runtime error: division by zero\n"
            "  at inner (prog.tl:3:14)\n"
            "  at outer (prog.tl:6:10)\n"
            "  at <script> (prog.tl:9:7)");
}

TEST(VmErrors, RecursionLimit) {
  ModuleBuilder mb;
  uint32_t src = mb.source("loop.tl");
  uint32_t main = mb.declare_function("<script>", 0);
  uint32_t rec = mb.declare_function("forever", 0);
  mb.set_entry(main);
  auto& g = mb.function(rec);
  g.set_source(src);
  g.at(1, 20);
  g.emit(OpCode::CALL, 0, static_cast<int>(rec));
  g.emit(OpCode::RETURN, 0, 1);
  auto& f = mb.function(main);
  f.set_source(src);
  f.at(2, 1);
  f.emit(OpCode::CALL, 0, static_cast<int>(rec));
  f.emit(OpCode::RETURN, 0, 0);
  auto r = run_module(mb.finish(), nullptr, 500);
  EXPECT_EQ(r.error.substr(0, r.error.find('\n')),
            "loop.tl:1:20: runtime error: stack overflow: more than 500 nested calls (unbounded "
            "recursion?)");
  // The repeated frame prints once, with its count: the trace stays two lines long.
  EXPECT_NE(r.error.find("  at forever (loop.tl:1:20) [500 times]\n"), std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("  at <script> (loop.tl:2:1)"), std::string::npos);
}

TEST(VmErrors, NoDebugInfoStillNamesTheFunction) {
  test::Script s;
  s.f().emit(OpCode::LOADI, 0, 1);
  s.f().emit(OpCode::LOADI, 1, 0);
  s.f().emit(OpCode::MOD, 2, 0, 1);
  auto r = run_module(s.finish());
  EXPECT_EQ(r.error.substr(0, r.error.find('\n')),
            "<<script>>+2: runtime error: integer modulo by zero");
}

TEST(VmErrors, VmIsReusableAfterAnError) {
  test::Script s;
  s.f().emit(OpCode::LOADI, 0, 1);
  s.f().emit(OpCode::LOADI, 1, 0);
  s.f().emit(OpCode::DIV, 2, 0, 1);
  Module m = s.finish();
  std::ostringstream out;
  VmOptions opts;
  opts.out = &out;
  Vm vm(m, opts);
  EXPECT_THROW(vm.run(), VmError);
  EXPECT_THROW(vm.run(), VmError);  // frames were unwound: the same error, not a crash
}

// On a terminal, the source line and a caret under the failing column; elsewhere, what().
TEST(VmErrors, TerminalReportShowsTheSourceLine) {
  const auto path = std::filesystem::temp_directory_path() / "tl_errors_test_snippet.tl";
  std::ofstream(path) << "let a = 1\n\tlet é = a / zero\n";
  const VmError e(path.string() + ":2:15: runtime error: division by zero\n  at <script> (x)",
                  "division by zero", {path.string(), 2, 15}, "\n  at <script> (x)");
  EXPECT_EQ(format_runtime_error(e, false), e.what());
  const std::string shown = format_runtime_error(e, true);
  EXPECT_NE(shown.find(" 2 | \tlet é = a / zero\n"), std::string::npos) << shown;
  // Tab kept, é one column (two bytes): the caret is under the `z` of `zero`.
  EXPECT_NE(shown.find("   | \t            \033[1;31m^\033[0m\n  at <script> (x)"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("division by zero"), std::string::npos);

  // No readable source (tlvm far from the sources, no debug info): the position and trace only.
  const VmError gone("gone.tl:1:1: runtime error: boom", "boom", {"/nonexistent/gone.tl", 1, 1},
                     "");
  EXPECT_EQ(format_runtime_error(gone, true).find(" | "), std::string::npos);
  const VmError no_debug("<<script>>+2: runtime error: boom", "boom");
  EXPECT_EQ(format_runtime_error(no_debug, true).find("1 |"), std::string::npos);
}

}  // namespace
}  // namespace tl
