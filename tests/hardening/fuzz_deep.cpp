// libFuzzer: deep nesting well past the 4 KB inputs of the other fuzzers. The input is a recipe,
// not text: each pair of bytes picks a construct (brackets, a list, a prefix operator, a call, an
// index, a member call, a binary chain link, a block) and how many times it repeats (up to 4096),
// so that a few bytes make programs tens of thousands of levels deep, in any mix. Every tool's
// tree walk then runs on the result: the parser, the checker, the compiler, the formatter and the
// linter must each end with diagnostics or output, never a stack overflow.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/codegen/codegen.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"
#include "formatter/format.h"
#include "formatter/lint.h"

namespace {

struct Construct {
  const char* open;
  const char* close;
};
constexpr Construct kConstructs[] = {
    {"(", ")"},        {"[", "]"},           {"-", ""},      {"!", ""},
    {"f(", ")"},       {"", "[0]"},          {"", ".abs()"}, {"", " + t"},
    {"", " && true"},  {"if true { ", " }"}, {"", " ** t"},  {"g(1, ", ", 2)"},
    {"{\"k\": ", "}"}, {"", "(1)"},          {"", ".x"},     {"t[", "]"},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string head, tail;
  std::vector<const char*> closes;  // innermost last
  for (size_t i = 0; i + 1 < size && closes.size() < 60000; i += 2) {
    const Construct& c = kConstructs[data[i] % std::size(kConstructs)];
    const size_t times = 1 + (size_t{data[i + 1]} << 4);  // 1 .. 4081
    for (size_t k = 0; k < times; ++k) head += c.open, closes.push_back(c.close);
  }
  for (auto it = closes.rbegin(); it != closes.rend(); ++it) tail += *it;
  const std::string text = "let t = ones(2)\nlet x = " + head + "t" + tail + "\n";
  tl::SourceManager sources;
  auto file = sources.add("deep.tl", text);
  tl::sema::AnalysisContext ctx(sources);
  auto tree = tl::parse(file);
  auto analysis = tl::sema::analyze(*tree, ctx);
  (void)tl::lint::lint(*tree, analysis.get(), &sources);
  bool errors = false;
  for (const auto& d : analysis->diagnostics) errors |= d.severity == tl::Severity::Error;
  if (!errors) {
    tl::DiagnosticSink sink;
    (void)tl::compile_program({tree.get(), analysis.get()}, {}, sink);
  }
  (void)tl::format::format_file(file);
  return 0;
}
