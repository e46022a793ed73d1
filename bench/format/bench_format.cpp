// Formatter and linter speed on generated 100,000-line programs:
//  - "guide": the guide's constructs (shaped signatures broken over lines, matrices to align,
//    `:=` and `function` to rewrite, comments, control flow), written untidily;
//  - "random": tests/format/program_generator.h output (comments and odd spacing everywhere).
// Reported per phase: parse alone (for reference), format_tree (layout only), format_file
// (parse + layout + the self-check: reparse and compare meaning dumps, what `tl fmt` runs), and
// lint (syntactic rules; then with the checker's analysis).
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <string>

#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"
#include "formatter/format.h"
#include "formatter/lint.h"
#include "tests/format/program_generator.h"

namespace {

int count_lines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

std::string guide_program(int lines_wanted) {
  // Declares what the chunks use, so that the checker's analysis has no errors to explain.
  std::string s =
      "let w = tensor<float16>([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])\n"
      "let model = load_model(\"model.safetensors\")\n"
      "let total = 0\n";
  for (int i = 0; count_lines(s) < lines_wanted; ++i) {
    s += fmt::format(
        "// layer {0}: output = input @ weights + bias\n"
        "function forward_{0}(input: float16[N, D_in],\n"
        "                 weights: float16[D_in, D_out],\n"
        "                 bias: float16[D_out]) -> float16[N, D_out] {{\n"
        "  let output = input@weights   // matmul\n"
        "  return output+bias\n"
        "}}\n"
        "let X_{0} = tensor<float16>([\n"
        "    [1.0, 2.0, 3.0],\n"
        "    [4.0, 5.0, 6.0],\n"
        "    [-7.5, 8.0, 10.25]\n"
        "], device: gpu)\n"
        "y_{0} := relu(X_{0} @ transpose(w)[0:3, :] * 0.5 + 1e-3) ** 2\n"
        "for i in range({0}) {{ if i % 2 == 0 {{ continue }} else {{ total = total + i }} }}\n"
        "/* block comment {0} */\n"
        "print(\"Output shape:\", forward_{0}(X_{0}, model.get_tensor(\"layer.{0}.weight\"), "
        "model.get_tensor(\"layer.{0}.bias\")).shape)\n"
        "\n",
        i);
  }
  return s;
}

std::string random_program(int lines_wanted) {
  std::string s;
  for (uint32_t seed = 1; count_lines(s) < lines_wanted; ++seed) {
    s += tl::format::testing::ProgramGenerator(seed).program(40);
    s += "\n";
  }
  // One file may hold one `main`: the others become plain blocks (the keyword is its only use).
  size_t first = s.find("main");
  for (size_t at = s.find("main", first + 1); at != std::string::npos; at = s.find("main", at))
    s.replace(at, 4, "    ");
  return s;
}

const std::string& program(int which) {
  static const std::string guide = guide_program(100000);
  static const std::string random = random_program(100000);
  return which == 0 ? guide : random;
}

std::shared_ptr<const tl::SourceFile> file(int which) {
  return std::make_shared<const tl::SourceFile>(0, "bench.tl", program(which));
}

void report(benchmark::State& state, int which) {
  const std::string& p = program(which);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(p.size()));
  state.counters["lines/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * count_lines(p), benchmark::Counter::kIsRate);
  state.counters["lines"] = count_lines(p);
  state.SetLabel(which == 0 ? "guide" : "random");
}

void BM_Parse(benchmark::State& state) {
  int which = static_cast<int>(state.range(0));
  auto f = file(which);
  for (auto _ : state) benchmark::DoNotOptimize(tl::parse(f));
  report(state, which);
}

void BM_FormatTree(benchmark::State& state) {
  int which = static_cast<int>(state.range(0));
  auto tree = tl::parse(file(which));
  if (tree->has_errors()) state.SkipWithError("the generated program does not parse");
  for (auto _ : state) benchmark::DoNotOptimize(tl::format::format_tree(*tree));
  report(state, which);
}

void BM_FormatFileVerified(benchmark::State& state) {
  int which = static_cast<int>(state.range(0));
  auto f = file(which);
  for (auto _ : state) {
    tl::format::FormatResult r = tl::format::format_file(f, /*verify=*/true);
    if (!r.ok) state.SkipWithError("format_file failed");
    benchmark::DoNotOptimize(r.text);
  }
  report(state, which);
}

void BM_LintSyntactic(benchmark::State& state) {
  int which = static_cast<int>(state.range(0));
  auto tree = tl::parse(file(which));
  for (auto _ : state) benchmark::DoNotOptimize(tl::lint::lint(*tree));
  report(state, which);
}

void BM_LintWithAnalysis(benchmark::State& state) {
  int which = static_cast<int>(state.range(0));
  tl::SourceManager sm;
  tl::sema::AnalysisContext ctx(sm);
  auto tree = tl::parse(file(which));
  auto analysis = tl::sema::analyze(*tree, ctx);
  for (auto _ : state) benchmark::DoNotOptimize(tl::lint::lint(*tree, analysis.get(), &sm));
  report(state, which);
}

}  // namespace

BENCHMARK(BM_Parse)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FormatTree)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FormatFileVerified)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LintSyntactic)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LintWithAnalysis)->Arg(0)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
