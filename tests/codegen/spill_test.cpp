// Locals past the register window live in spill slots (GETSPILL/SETSPILL): functions and blocks
// of the script with hundreds and thousands of locals compile and compute the right values, in
// loops and calls, and ordinary functions do not change.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/codegen/codegen.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"
#include "tests/vm/vm_test_util.h"
#include "vm/bytecode/tlbc_file.h"
#include "vm/cpu/cpu_backend.h"

namespace tl {
namespace {

struct Compiled {
  std::optional<Module> module;
  std::vector<std::string> errors;  // the checker's and the compiler's
};

Compiled compile(const std::string& text) {
  SourceManager sources;
  sema::AnalysisContext ctx(sources);
  auto tree = parse(sources.add("test.tl", text));
  auto analysis = sema::analyze(*tree, ctx);
  Compiled c;
  for (const auto& d : analysis->diagnostics)
    if (d.severity == Severity::Error) c.errors.push_back(d.message);
  DiagnosticSink sink;
  c.module = compile_program({tree.get(), analysis.get()}, {}, sink);
  for (const auto& d : sink.diagnostics()) c.errors.push_back(d.message);
  return c;
}

std::string run(const Module& m) {
  CpuBackend cpu{CpuOptions{.threads = 1}};
  const test::RunResult r = test::run_module(m, &cpu);
  return r.error.empty() ? r.out : "error: " + r.error;
}

const Proto& function(const Module& m, const std::string& name) {
  for (const Proto& p : m.functions)
    if (p.name == name) return p;
  ADD_FAILURE() << "no function " << name;
  return m.functions.at(0);
}

size_t count(const Proto& p, OpCode op) {
  return static_cast<size_t>(
      std::count_if(p.code.begin(), p.code.end(), [&](Instr i) { return get_op(i) == op; }));
}

// n locals a0..a(n-1) = x + i, then a loop that updates a spilled local and calls g with spilled
// arguments, a list holding spilled values updated by index, a while loop counting in a spilled
// local, and a sum of every 97th local. `in_function`: the body of f(x); else a block of the
// script. Returns the program and, in `expected`, what it prints.
std::string many_locals(int n, bool in_function, std::string* expected) {
  std::ostringstream p;
  p << "fn g(a: int, b: int) -> int {\n  return a * 2 + b\n}\n";
  p << (in_function ? "fn f(x: int) -> int {\n" : "if true {\n  let x = 1\n");
  for (int i = 0; i < n; ++i) p << "  let a" << i << " = x + " << i << "\n";
  p << "  let total = 0\n"
    << "  for i in range(10) {\n"
    << "    a" << n - 1 << " = a" << n - 1 << " + 1\n"
    << "    total = total + g(a" << n - 2 << ", a" << n - 3 << ") + a" << n / 2 << " + i\n"
    << "  }\n"
    << "  let xs = [a" << n - 1 << ", a" << n - 5 << ", 3]\n"
    << "  xs[1] = a0\n"
    << "  let k = 0\n"
    << "  while k < a3 { k = k + 1 }\n"
    << "  let s = xs[1] + xs[0] + k";
  for (int i = 0; i < n; i += 97) p << " + a" << i;
  p << "\n";
  p << (in_function ? "  return s + total\n}\nprint(f(1))\n" : "  print(s + total)\n}\n");

  // The same computation in C++ (x = 1).
  std::vector<int64_t> a(n);
  for (int i = 0; i < n; ++i) a[i] = 1 + i;
  int64_t total = 0;
  for (int i = 0; i < 10; ++i) {
    a[n - 1] += 1;
    total += a[n - 2] * 2 + a[n - 3] + a[n / 2] + i;
  }
  int64_t s = a[0] + a[n - 1] + a[3];
  for (int i = 0; i < n; i += 97) s += a[i];
  *expected = std::to_string(s + total) + "\n";
  return p.str();
}

class ManyLocals : public testing::TestWithParam<std::tuple<int, bool>> {};

TEST_P(ManyLocals, CompileAndRunRight) {
  const auto [n, in_function] = GetParam();
  std::string expected;
  const Compiled c = compile(many_locals(n, in_function, &expected));
  ASSERT_TRUE(c.errors.empty()) << c.errors.front();
  ASSERT_TRUE(c.module);
  const Proto& p = function(*c.module, in_function ? "f" : "<script>");
  // The locals past the window are in spill slots; the frame stays within 8-bit operands.
  EXPECT_GE(p.num_spills, n - 192);
  EXPECT_LE(p.num_regs, 250);
  EXPECT_GT(count(p, OpCode::GETSPILL), 0u);
  EXPECT_GT(count(p, OpCode::SETSPILL), static_cast<size_t>(n - 200));
  EXPECT_EQ(run(*c.module), expected);
  // Through the file format too (tl compile + tlvm).
  EXPECT_EQ(run(read_module(write_module(*c.module))), expected);
}

INSTANTIATE_TEST_SUITE_P(Spill, ManyLocals,
                         testing::Combine(testing::Values(300, 5000), testing::Bool()));

TEST(Spill, TopLevelScriptWithThousandsOfVariables) {
  std::ostringstream p;
  for (int i = 0; i < 5000; ++i) p << "let v" << i << " = " << i << "\n";
  p << "let s = 0\nfor i in range(3) { s = s + v4999 + v200 + i }\nprint(s, v0 + v4998)\n";
  const Compiled c = compile(p.str());
  ASSERT_TRUE(c.errors.empty()) << c.errors.front();
  EXPECT_EQ(run(*c.module), std::to_string(3 * (4999 + 200) + 3) + " 4998\n");
}

TEST(Spill, SlotsAreReusedAcrossSiblingBlocks) {
  // Two blocks of 300 locals each: the second reuses the first's registers and slots.
  std::ostringstream p;
  p << "fn f(x: int) -> int {\n  let t = 0\n";
  for (int b = 0; b < 2; ++b) {
    p << "  if x > " << b - 5 << " {\n";
    for (int i = 0; i < 300; ++i) p << "    let a" << i << " = x + " << i << "\n";
    p << "    t = t + a299 + a0\n  }\n";
  }
  p << "  return t\n}\nprint(f(1))\n";
  const Compiled c = compile(p.str());
  ASSERT_TRUE(c.errors.empty()) << c.errors.front();
  const Proto& f = function(*c.module, "f");
  EXPECT_LE(f.num_spills, 300 - 192 + 2);
  EXPECT_GE(f.num_spills, 300 - 192 - 2);
  EXPECT_EQ(run(*c.module), "602\n");
}

TEST(Spill, OrdinaryFunctionsHaveNoSpillSlots) {
  std::ostringstream p;
  p << "fn f(x: int) -> int {\n";
  for (int i = 0; i < 150; ++i) p << "  let a" << i << " = x + " << i << "\n";
  p << "  return a149 + a0\n}\nprint(f(1))\n";
  const Compiled c = compile(p.str());
  ASSERT_TRUE(c.errors.empty()) << c.errors.front();
  const Proto& f = function(*c.module, "f");
  EXPECT_EQ(f.num_spills, 0);
  EXPECT_EQ(count(f, OpCode::GETSPILL) + count(f, OpCode::SETSPILL), 0u);
  EXPECT_EQ(run(*c.module), "151\n");
}

TEST(Spill, SpilledTensorsUpdateInPlaceAndShadowingWorks) {
  std::ostringstream p;
  p << "fn f(x: float) -> float16[] {\n";
  for (int i = 0; i < 200; ++i) p << "  let a" << i << " = x + " << i << ".0\n";
  p << "  let m = zeros(3, 4)\n"
       "  let keep = m\n"
       "  m[1, 2] = 5.0\n"
       "  m[0:1, :] = ones(1, 4)\n"
       "  let r = 0.0\n"
       "  if x > 0.0 {\n"
       "    let a5 = a5 * 2.0\n"  // a new spilled a5 reads the outer (spilled) one
       "    r = a5\n"
       "  }\n"
       "  return sum(m) + a199 + sum(keep) + r + a5\n"
       "}\n"
       "print(f(1.0))\n";
  const Compiled c = compile(p.str());
  ASSERT_TRUE(c.errors.empty()) << c.errors.front();
  EXPECT_GT(function(*c.module, "f").num_spills, 0);
  // sum(m) = 9, a199 = 200, keep is still zeros (copy on write), r = 12, the outer a5 = 6.
  EXPECT_EQ(run(*c.module), "227.0\n");
}

TEST(Spill, TooManyTemporariesAtOnceIsPositioned) {
  // 300 nested calls, each waiting for its argument: more registers at once than 8 bits reach.
  std::string e = "1";
  for (int i = 0; i < 300; ++i) e = "id(0, " + e + ")";
  const Compiled c = compile("fn id(a: int, b: int) -> int {\n  return b\n}\nprint(" + e + ")\n");
  ASSERT_FALSE(c.errors.empty());
  EXPECT_NE(c.errors.front().find("more than 250 registers at once"), std::string::npos)
      << c.errors.front();
}

}  // namespace
}  // namespace tl
