// Parse speed of the syntax layer on a generated 100,000-line program that mixes the guide's
// constructs (functions with shaped signatures, nested tensor literals, calls with named
// arguments, property paths, slices, control flow, comments). Reports lines/s and bytes/s.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <string>

#include "compiler/syntax/lexer.h"
#include "compiler/syntax/parser.h"

namespace {

// About 100,000 lines: 20-line chunks, each a function, a literal, a loop and script statements.
std::string generate(int lines_wanted, int* lines_out) {
  std::string s;
  int lines = 0;
  for (int i = 0; lines < lines_wanted; ++i) {
    s += fmt::format(
        "// layer {0}: 線形変換 output = input @ weights + bias\n"
        "fn forward_{0}(input: float16[N, D_in],\n"
        "               weights: float16[D_in, D_out],\n"
        "               bias: float16[D_out]) -> float16[N, D_out] {{\n"
        "    let output = input @ weights\n"
        "    return output + bias\n"
        "}}\n"
        "let X_{0} = tensor<float16>([\n"
        "    [1.0, 2.0, 3.0],\n"
        "    [4.0, 5.0, 6.0]\n"
        "], device: gpu)\n"
        "w_{0} = model.blk[{0}].attn_q.weight\n"
        "y_{0} := relu(X_{0} @ transpose(w_{0})[0:2, :] * 0.5 + 1e-3) ** 2\n"
        "for i in range({0}) {{\n"
        "    if i % 2 == 0 && !done {{ continue }} else {{ total = total + i }}\n"
        "}}\n"
        "/* block comment {0} */\n"
        "print(\"Output shape:\", forward_{0}(X_{0}, w_{0}, b).shape)\n"
        "save_model({{\"w\": w_{0}}}, \"out_{0}.safetensors\")\n"
        "\n",
        i);
    lines += 20;
  }
  *lines_out = lines;
  return s;
}

void report(benchmark::State& state, size_t bytes, int lines) {
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(lines), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MB/s"] = benchmark::Counter(static_cast<double>(bytes) / 1e6,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Lex(benchmark::State& state) {
  int lines = 0;
  tl::SourceManager sm;
  auto file = sm.add("bench.tl", generate(100000, &lines));
  for (auto _ : state) {
    tl::DiagnosticSink diags;
    tl::LexResult r = tl::lex(*file, diags);
    benchmark::DoNotOptimize(r.tokens.data());
    if (!diags.diagnostics().empty()) state.SkipWithError("lexer reported errors");
  }
  report(state, file->size(), lines);
}
BENCHMARK(BM_Lex)->Unit(benchmark::kMillisecond);

void BM_Parse(benchmark::State& state) {
  int lines = 0;
  tl::SourceManager sm;
  auto file = sm.add("bench.tl", generate(100000, &lines));
  for (auto _ : state) {
    auto tree = tl::parse(file);
    benchmark::DoNotOptimize(tree->module());
    if (!tree->diagnostics().empty()) state.SkipWithError("parser reported errors");
  }
  report(state, file->size(), lines);
}
BENCHMARK(BM_Parse)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
