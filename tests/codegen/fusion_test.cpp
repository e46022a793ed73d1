// Element-wise fusion in codegen: chains whose shapes the checker proved become one ELEMWISE over
// a program constant; single ops, unknown shapes, unproven broadcasts and non-tensor results
// compile as before. Fused and unfused bytecode print the same where the arithmetic is exact.
#include <gtest/gtest.h>

#include <sstream>

#include "compiler/codegen/codegen.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"
#include "vm/cpu/cpu_backend.h"
#include "vm/runtime/interp.h"

namespace tl {
namespace {

struct Compiled {
  Module module;
  std::vector<std::string> programs;  // to_string of every ELEMWISE's program, in code order
};

Compiled compile(const std::string& text, bool with_types = true) {
  SourceManager sources;
  sema::AnalysisContext ctx(sources);
  auto tree = parse(sources.add("test.tl", text));
  auto analysis = sema::analyze(*tree, ctx);
  DiagnosticSink sink;
  for (const auto& d : analysis->diagnostics) ADD_FAILURE() << d.message;
  auto m = compile_program({tree.get(), with_types ? analysis.get() : nullptr}, {}, sink);
  for (const auto& d : sink.diagnostics()) ADD_FAILURE() << d.message;
  Compiled c{m ? *m : Module{}, {}};
  for (const Proto& p : c.module.functions)
    for (Instr i : p.code)
      if (get_op(i) == OpCode::ELEMWISE)
        c.programs.push_back(
            to_string(std::get<ElementwiseProgram>(c.module.constants[get_bx(i)])));
  return c;
}

std::string run(const Module& m) {
  CpuBackend cpu{CpuOptions{.threads = 1}};
  std::ostringstream out;
  VmOptions opts;
  opts.backend = &cpu;
  opts.out = &out;
  try {
    Vm vm(m, opts);
    vm.run();
  } catch (const VmError& e) {
    return std::string("error: ") + e.what();
  }
  return out.str();
}

const char* kPrelude =
    "let x = ones(2, 3) * 0.5\n"
    "let b = tensor<float16>([1.0, 2.0, 4.0])\n";

TEST(Fusion, ChainOfOperatorsAndBuiltins) {
  auto c = compile(std::string(kPrelude) + "print(gelu(x * 2.0 + b))\n");
  ASSERT_EQ(c.programs.size(), 1u);
  EXPECT_EQ(c.programs[0], "%0 = x0 * x1:f32; %1 = %0 + x2; %2 = gelu(%1)");
}

TEST(Fusion, EveryFusableForm) {
  auto c = compile(std::string(kPrelude) +
                   "print(maximum(-x, b) % 3 ** x / b - minimum(x.abs(), 1.5))\n"
                   "print(sqrt(exp(x)) + log(b) * sigmoid(x) - tanh(relu(b)) * silu(x))\n");
  ASSERT_EQ(c.programs.size(), 2u);
  EXPECT_EQ(c.programs[0],
            "%0 = -x0; %1 = maximum(%0, x1); %2 = x2:f32 ** x0; %3 = %1 % %2; %4 = %3 / x1; "
            "%5 = abs(x0); %6 = minimum(%5, x3:f32); %7 = %4 - %6");
  EXPECT_EQ(c.programs[1],
            "%0 = exp(x0); %1 = sqrt(%0); %2 = log(x1); %3 = sigmoid(x0); %4 = %2 * %3; "
            "%5 = %1 + %4; %6 = relu(x1); %7 = tanh(%6); %8 = silu(x0); %9 = %7 * %8; "
            "%10 = %5 - %9");
}

TEST(Fusion, ALocalReadTwiceIsOneInput) {
  auto c = compile(std::string(kPrelude) + "print(x * sigmoid(x) * b)\n");
  ASSERT_EQ(c.programs.size(), 1u);
  EXPECT_EQ(c.programs[0], "%0 = sigmoid(x0); %1 = x0 * %0; %2 = %1 * x1");
}

TEST(Fusion, SizeVariablesAreStatic) {
  auto c = compile(
      "fn mlp(h: float16[N, D], g: float16[N, D], w: float16[D]) -> float16[N, D] {\n"
      "  return silu(g) * h + w\n"
      "}\n"
      "print(mlp(ones(2, 4), ones(2, 4), ones(4)))\n");
  ASSERT_EQ(c.programs.size(), 1u);
  EXPECT_EQ(c.programs[0], "%0 = silu(x0); %1 = %0 * x1; %2 = %1 + x2");
}

TEST(Fusion, WhatDoesNotFuse) {
  // One op; a number result; an untyped parameter (shape unknown); a '?' dim against a constant;
  // a tensor of unknown rank.
  auto c = compile(std::string(kPrelude) +
                   "print(x + b)\n"
                   "print(2 * 3 + 1)\n"
                   "fn f(t) { return relu(t * 2.0) }\n"
                   "fn g(t: float16[?]) { return relu(t * b) }\n"
                   "fn h(p: float16) { return relu(p + 1) }\n"
                   "print(f(x), g(b), h(b))\n");
  EXPECT_TRUE(c.programs.empty()) << c.programs[0];
}

TEST(Fusion, WithoutTypesNothingFuses) {
  auto c = compile(std::string(kPrelude) + "print(gelu(x * 2.0 + b))\n", false);
  EXPECT_TRUE(c.programs.empty());
}

TEST(Fusion, LeavesAreOtherExpressions) {
  // The matmul and the reduction are leaves of the fused tree around them.
  auto c = compile(std::string(kPrelude) +
                   "let w = ones(3, 3)\n"
                   "print(relu(x @ w + b) * sum(x, 0) - 1)\n");
  ASSERT_EQ(c.programs.size(), 1u);
  EXPECT_EQ(c.programs[0], "%0 = x0 + x1; %1 = relu(%0); %2 = %1 * x2; %3 = %2 - x3:f32");
}

// The same output fused and unfused where every intermediate is exact in f16.
TEST(Fusion, SameOutputAsUnfused) {
  const std::string src = std::string(kPrelude) +
                          "print(relu(x * 4.0 - b) * b + maximum(x, b) ** 2 - x % 0.25)\n"
                          "fn f(a: float16[2, 3], c: float16[3]) { return -(a - c) * 2 }\n"
                          "print(f(x, b))\n";
  auto fused = compile(src), plain = compile(src, false);
  EXPECT_EQ(fused.programs.size(), 2u);
  EXPECT_TRUE(plain.programs.empty());
  EXPECT_EQ(run(fused.module), run(plain.module));
  EXPECT_EQ(run(fused.module),
            "[[2.0, 4.0, 16.0], [2.0, 4.0, 16.0]]\n[[1.0, 3.0, 7.0], [1.0, 3.0, 7.0]]\n");
}

}  // namespace
}  // namespace tl
