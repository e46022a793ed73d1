// Inputs the fuzzers (`make fuzz`) found, each reduced to the smallest program that shows the bug.
// Most of them are memory errors that only ASan sees reliably: `make test-asan` (and CI's
// instrumented subset) runs this binary.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "compiler/codegen/codegen.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"

namespace tl {
namespace {

// Checks and compiles `text`; returns the compiler's diagnostics (the checker must accept it).
std::vector<Diagnostic> compile_errors(const std::string& text) {
  SourceManager sources;
  sema::AnalysisContext ctx(sources);
  auto tree = parse(sources.add("fuzz.tl", text));
  auto analysis = sema::analyze(*tree, ctx);
  for (const auto& d : analysis->diagnostics)
    if (d.severity == Severity::Error) ADD_FAILURE() << "checker: " << d.message;
  DiagnosticSink sink;
  (void)compile_program({tree.get(), analysis.get()}, {}, sink);
  return sink.diagnostics();
}

// fuzz_run: checking a call's arguments can check another function's body for the first time,
// which declares its symbols; the call kept a string_view of its callee's name (and a reference
// to its FunctionInfo) across that, into a vector that had just moved (heap-use-after-free in
// the argument's error message).
TEST(FuzzFindings, CalleeNameSurvivesCheckingAnArgumentsBody) {
  std::string body;
  for (int i = 0; i < 2000; ++i) body += "    let a" + std::to_string(i) + " = 1.0\n";
  const std::string text =
      "fn f(x: float16[N], n: int) -> int {\n    return n\n}\n"
      "fn g() {\n" +
      body +
      "    return a0\n}\n"
      "print(f(g(), 1))\n";
  SourceManager sources;
  sema::AnalysisContext ctx(sources);
  auto tree = parse(sources.add("fuzz.tl", text));
  auto analysis = sema::analyze(*tree, ctx);
  bool reported = false;
  for (const auto& d : analysis->diagnostics)
    reported |= d.message.find("argument `x` of `f` must be") != std::string::npos;
  EXPECT_TRUE(reported) << "expected the argument type error naming `f`";
}

// fuzz_run: an argument of a user function call that fails to compile (here a list literal past
// codegen's 200 elements) aborted the statement with the call's argument list still registered
// as "deferred"; the next statement then read that dead vector (heap-use-after-free).
TEST(FuzzFindings, FailedUserCallArgumentLeavesNoDanglingState) {
  std::string list;
  for (int i = 0; i < 300; ++i) list += i ? ", 1" : "1";
  const auto errors = compile_errors(
      "fn f(a: float16[N]) -> float16[N] {\n"
      "    return a\n"
      "}\n"
      "let x = f(ones(2) + sum(tensor<float16>([" +
      list +
      "])))\n"
      "let y = f(ones(3))\n"
      "print(y)\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, DiagCode::E0701);
  EXPECT_NE(errors[0].message.find("200 elements"), std::string::npos) << errors[0].message;
}

}  // namespace
}  // namespace tl
