// The instruction forms codegen emits for control flow and calls: a compare that skips a
// one-instruction body directly (no inverted test + JMP), and calls placed so that their result
// lands in its destination (no MOVE after the call). fib compiles to what bench/vm's
// hand-assembled fib is: 8 instructions. Each form also runs to the right answer.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "compiler/codegen/codegen.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"
#include "vm/runtime/interp.h"

namespace tl {
namespace {

Module compile(const std::string& text) {
  SourceManager sources;
  sema::AnalysisContext ctx(sources);
  auto tree = parse(sources.add("test.tl", text));
  auto analysis = sema::analyze(*tree, ctx);
  DiagnosticSink sink;
  for (const auto& d : analysis->diagnostics) ADD_FAILURE() << d.message;
  auto m = compile_program({tree.get(), analysis.get()}, {}, sink);
  for (const auto& d : sink.diagnostics()) ADD_FAILURE() << d.message;
  return m ? *m : Module{};
}

const Proto& function(const Module& m, const std::string& name) {
  for (const Proto& p : m.functions)
    if (p.name == name) return p;
  ADD_FAILURE() << "no function " << name;
  return m.functions.at(0);
}

std::vector<OpCode> ops(const Proto& p) {
  std::vector<OpCode> v;
  for (Instr i : p.code) v.push_back(get_op(i));
  return v;
}

std::string run(const Module& m) {
  std::ostringstream out;
  VmOptions opts;
  opts.out = &out;
  try {
    Vm vm(m, opts);
    vm.run();
  } catch (const VmError& e) {
    return std::string("error: ") + e.what();
  }
  return out.str();
}

TEST(CodegenForms, FibIsEightInstructions) {
  const Module m = compile(
      "fn fib(n: int) -> int {\n"
      "    if n < 2 {\n"
      "        return n\n"
      "    }\n"
      "    return fib(n - 1) + fib(n - 2)\n"
      "}\n"
      "print(fib(20))\n");
  const Proto& fib = function(m, "fib");
  using enum OpCode;
  EXPECT_EQ(ops(fib), (std::vector<OpCode>{CLTI, RETURN, ADDI, CALL, ADDI, CALL, ADD, RETURN}));
  // The compare skips the return when n < 2 is false.
  EXPECT_EQ(get_c(fib.code[0]), 1);
  EXPECT_EQ(run(m), "6765\n");
}

TEST(CodegenForms, OneInstructionBodiesRunBothWays) {
  // Each relation, with register and immediate operands, with the body taken and not taken.
  const Module m = compile(
      "fn pick(a: int, b: int) -> int {\n"
      "    let r = 0\n"
      "    if a < b { r = r + 1 }\n"
      "    if a <= b { r = r + 10 }\n"
      "    if a > b { r = r + 100 }\n"
      "    if a >= b { r = r + 1000 }\n"
      "    if a == b { r = r + 10000 }\n"
      "    if a != b { r = r + 100000 }\n"
      "    if a < 3 { r = r + 1000000 }\n"
      "    if a != 3 { r = r + 10000000 }\n"
      "    return r\n"
      "}\n"
      "fn first_over(limit: int) -> int {\n"
      "    let i = 0\n"
      "    while true {\n"
      "        if i * i > limit { break }\n"
      "        i = i + 1\n"
      "    }\n"
      "    return i\n"
      "}\n"
      "fn truthy(x: bool) -> int {\n"
      "    if x { return 1 }\n"
      "    return 0\n"
      "}\n"
      "print(pick(1, 2))\n"
      "print(pick(2, 2))\n"
      "print(pick(3, 2))\n"
      "print(first_over(50))\n"
      "print(truthy(true), truthy(false))\n");
  // Every `if` in pick has a one-instruction body: no JMP at all.
  const auto pick = ops(function(m, "pick"));
  EXPECT_EQ(std::count(pick.begin(), pick.end(), OpCode::JMP), 0);
  EXPECT_EQ(run(m), "11100011\n11011010\n101100\n8\n1 0\n");
}

TEST(CodegenForms, CallResultsLandInPlace) {
  const Module m = compile(
      "fn add(a: int, b: int) -> int {\n"
      "    return a + b\n"
      "}\n"
      "fn twice(x: int) -> int {\n"
      "    return add(x, x)\n"
      "}\n"
      "let s = 0\n"
      "for i in range(5) {\n"
      "    s = add(s, twice(i))\n"
      "}\n"
      "let f = add\n"
      "print(s, add(add(1, 2), add(3, 4)), f(f(1, 2), 3))\n");
  // `return add(x, x)`: the call's result register is the one RETURN reads.
  const Proto& twice = function(m, "twice");
  using enum OpCode;
  EXPECT_EQ(ops(twice), (std::vector<OpCode>{MOVE, MOVE, CALL, RETURN}));
  EXPECT_EQ(run(m), "20 10 6\n");
}

}  // namespace
}  // namespace tl
