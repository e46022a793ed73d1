// Checker speed. The generated program is clean (no diagnostics: asserted before timing), so the
// numbers measure the normal path: name resolution, shape inference through every expression,
// size-variable unification at every call.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"

namespace {

constexpr int kChunkLines = 16;

std::string generate(int lines_wanted, int* lines_out) {
  std::string s = "let total = 0\n";
  int lines = 1;
  for (int i = 0; lines < lines_wanted; ++i) {
    s += fmt::format(
        "fn layer_{0}(x: float16[N, D], w: float16[H, D], b: float16[H]) -> float16[N, H] {{\n"
        "    let h = linear(x, w, b)\n"
        "    return relu(h) * 0.5\n"
        "}}\n"
        "let x_{0} = tensor<float16>([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]], device: gpu)\n"
        "let w_{0} = zeros(3, 4)\n"
        "let b_{0} = ones(3)\n"
        "let y_{0}: float16[2, 3] = layer_{0}(x_{0}, w_{0}, b_{0})\n"
        "let s_{0} = sum(y_{0}, dim: 1, keepdim: true)\n"
        "let r_{0} = reshape(y_{0}, -1, 3) @ transpose(y_{0}[0:1, :])\n"
        "for k in range(2) {{\n"
        "    if k % 2 == 0 {{\n"
        "        total = total + k\n"
        "    }}\n"
        "}}\n"
        "print(\"shape\", y_{0}.shape, s_{0}, r_{0})\n",
        i);
    lines += kChunkLines;
  }
  *lines_out = lines;
  return s;
}

struct Program {
  tl::SourceManager sources;
  std::unique_ptr<tl::ast::SyntaxTree> tree;
  int lines = 0;
  size_t bytes = 0;
};

std::unique_ptr<Program> make_program(int lines) {
  auto p = std::make_unique<Program>();
  std::string text = generate(lines, &p->lines);
  p->bytes = text.size();
  p->tree = tl::parse(p->sources.add("bench.tl", std::move(text)));
  tl::sema::AnalysisContext ctx(p->sources);
  auto a = tl::sema::analyze(*p->tree, ctx);
  if (p->tree->has_errors() || !a->diagnostics.empty()) {
    std::fprintf(stderr, "generated program is not clean: %s\n",
                 a->diagnostics.empty() ? "syntax" : a->diagnostics[0].message.c_str());
    std::abort();
  }
  return p;
}

void report(benchmark::State& state, const Program& p) {
  state.counters["lines/s"] = benchmark::Counter(static_cast<double>(p.lines),
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["lines"] = p.lines;
}

// Analysis alone on a parsed 100k-line tree.
void BM_Check100kLines(benchmark::State& state) {
  auto p = make_program(100000);
  for (auto _ : state) {
    tl::sema::AnalysisContext ctx(p->sources);
    auto a = tl::sema::analyze(*p->tree, ctx);
    benchmark::DoNotOptimize(a->expr_types.data());
  }
  report(state, *p);
}
BENCHMARK(BM_Check100kLines)->Unit(benchmark::kMillisecond);

// Parse + check, as `tl check` does.
void BM_ParseAndCheck100kLines(benchmark::State& state) {
  auto p = make_program(100000);
  std::string text(p->tree->source().text());
  for (auto _ : state) {
    tl::SourceManager sm;
    tl::sema::AnalysisContext ctx(sm);
    auto tree = tl::parse(sm.add("bench.tl", text));
    auto a = tl::sema::analyze(*tree, ctx);
    benchmark::DoNotOptimize(a->expr_types.data());
  }
  report(state, *p);
}
BENCHMARK(BM_ParseAndCheck100kLines)->Unit(benchmark::kMillisecond);

// One LSP keystroke on a 5,000-line file: parse + check + a hover query.
void BM_Keystroke5kLines(benchmark::State& state) {
  auto p = make_program(5000);
  std::string text(p->tree->source().text());
  tl::SourceManager sm;
  tl::sema::AnalysisContext ctx(sm);  // kept across keystrokes, as the LSP does
  uint32_t at = static_cast<uint32_t>(text.rfind("layer_") + 2);
  for (auto _ : state) {
    auto tree = tl::parse(sm.add("bench.tl", text));
    auto a = tl::sema::analyze(*tree, ctx);
    auto h = a->hover(at);
    benchmark::DoNotOptimize(h.data());
  }
  report(state, *p);
}
BENCHMARK(BM_Keystroke5kLines)->Unit(benchmark::kMillisecond);

// A sparse safetensors file of `gib` GiB: a real header (`count` F16 [4096, 4096] tensors), no
// data written (ftruncate). Removed when the benchmark ends.
struct SparseModel {
  std::string path;
  int count = 0;
  SparseModel(int n) : count(n) {
    path = fmt::format("/tmp/tl_bench_sema_{}.safetensors", ::getpid());
    std::string header = "{";
    uint64_t off = 0;
    const uint64_t bytes = 4096ull * 4096ull * 2ull;
    for (int i = 0; i < n; ++i) {
      header += fmt::format(
          "{}\"blk.{}.attn_q.weight\":{{\"dtype\":\"F16\",\"shape\":[4096,4096],"
          "\"data_offsets\":[{},{}]}}",
          i ? "," : "", i, off, off + bytes);
      off += bytes;
    }
    header += ",\"__metadata__\":{\"format\":\"pt\"}}";
    while (header.size() % 8) header += ' ';
    FILE* f = std::fopen(path.c_str(), "wb");
    uint64_t len = header.size();
    std::fwrite(&len, 8, 1, f);
    std::fwrite(header.data(), 1, header.size(), f);
    std::fclose(f);
    std::filesystem::resize_file(path, 8 + header.size() + off);
  }
  ~SparseModel() { std::filesystem::remove(path); }
  std::string program() const {
    std::string s = fmt::format("let model = load_model(\"{}\")\nlet x = zeros(8, 4096)\n", path);
    for (int i = 0; i < count; ++i)
      s += fmt::format("let q_{0}: float16[8, 4096] = x @ model.blk[{0}].attn_q.weight\n", i);
    return s;
  }
};

void BM_LoadMultiGBModel(benchmark::State& state) {
  SparseModel m(static_cast<int>(state.range(0)));
  const std::string text = m.program();
  const bool warm = state.range(1) != 0;
  tl::SourceManager sm;
  tl::sema::AnalysisContext shared(sm);
  for (auto _ : state) {
    tl::sema::AnalysisContext fresh(sm);
    auto tree = tl::parse(sm.add("bench.tl", text));
    auto a = tl::sema::analyze(*tree, warm ? shared : fresh);
    if (!a->diagnostics.empty()) {
      state.SkipWithError(a->diagnostics[0].message.c_str());
      break;
    }
  }
  state.counters["file_GiB"] =
      static_cast<double>(std::filesystem::file_size(m.path)) / (1024.0 * 1024.0 * 1024.0);
  state.counters["tensors"] = m.count;
}
// 256 tensors of 32 MiB: an 8 GiB file. Cold: a new context (header read); warm: the context's
// ModelHeaderCache hit (path + size + mtime).
BENCHMARK(BM_LoadMultiGBModel)->Args({256, 0})->Args({256, 1})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
