// Round-trip latency of tl-lsp requests on a generated 5,000-line file, through the real process
// (pipes, framing, JSON, analysis): hover, completion, semantic tokens, document symbols, and
// diagnostics after an incremental edit. Prints a table; `--quick` does fewer rounds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/lsp/lsp_client.h"

using namespace tl::lsp::test;
using Clock = std::chrono::steady_clock;

namespace {

// 500 blocks of 10 lines: a function, three lets, a print, with non-ASCII comments.
std::string generate(int blocks) {
  std::string s;
  s += "let X = tensor<float16>([[1.0, 2.0], [3.0, 4.0]], device: gpu)\n";
  for (int i = 0; i < blocks; ++i) {
    s += fmt::format(
        "fn layer_{0}(x: float16[N, D], w: float16[D, D], b: float16[D]) -> float16[N, D] {{\n"
        "    // 層 {0}: linear + relu (слой)\n"
        "    let h = x @ w + b\n"
        "    return relu(h)\n"
        "}}\n"
        "let w_{0} = tensor<float16>([[0.1, 0.2], [0.3, 0.4]], device: gpu)\n"
        "let b_{0} = tensor<float16>([0.01, 0.02], device: gpu)\n"
        "let y_{0} = layer_{0}(X, w_{0}, b_{0})\n"
        "print(\"layer\", y_{0}.shape)\n"
        "\n",
        i);
  }
  return s;
}

struct Stats {
  double median, p95, min;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 95 / 100)], v.front()};
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const int rounds = quick ? 20 : 200;
  const std::string uri = "file:///tmp/bench.tl";
  std::string text = generate(500);
  int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n'));

  LspClient c({"--quiet", "--debounce-ms=0"});
  c.initialize();
  auto t_open = Clock::now();
  c.open(uri, text);
  if (!c.wait_notification("textDocument/publishDiagnostics", std::chrono::milliseconds(30s))) {
    std::fprintf(stderr, "no diagnostics after open\n");
    return 1;
  }
  double open_ms = ms_since(t_open);

  auto measure = [&](const std::string& method, auto params_for) {
    std::vector<double> v;
    for (int i = 0; i < rounds; ++i) {
      auto t = Clock::now();
      json r = c.call(method, params_for(i), 30s);
      if (r.contains("timeout") || r.contains("error")) {
        std::fprintf(stderr, "%s failed: %s\n", method.c_str(), r.dump().c_str());
        std::exit(1);
      }
      v.push_back(ms_since(t));
    }
    return stats(v);
  };
  auto at = [&](int line, int col) {
    return json{{"textDocument", {{"uri", uri}}},
                {"position", {{"line", line}, {"character", col}}}};
  };
  auto doc = json{{"textDocument", {{"uri", uri}}}};

  // Diagnostics after an edit: insert/remove a comma (valid <-> invalid) in a middle line, and
  // time until publishDiagnostics for that version arrives.
  std::vector<double> diag;
  int64_t version = 1;
  const int line = 1 + 250 * 10 + 8;  // `print("layer", y_250.shape)`: the comma is column 13
  for (int i = 0; i < rounds; ++i) {
    ++version;
    bool remove = i % 2 == 0;
    json range = {{"start", {{"line", line}, {"character", 13}}},
                  {"end", {{"line", line}, {"character", remove ? 14 : 13}}}};
    auto t = Clock::now();
    c.notify("textDocument/didChange",
             {{"textDocument", {{"uri", uri}, {"version", version}}},
              {"contentChanges", {{{"range", range}, {"text", remove ? "" : ","}}}}});
    auto n = c.wait_notification(
        "textDocument/publishDiagnostics",
        [&](const json& m) { return m["params"]["version"] == version; }, 30s);
    if (!n) {
      std::fprintf(stderr, "no diagnostics for version %lld\n", static_cast<long long>(version));
      return 1;
    }
    if ((*n)["params"]["diagnostics"].empty() == remove) {
      std::fprintf(stderr, "unexpected diagnostics: %s\n", n->dump().c_str());
      return 1;
    }
    diag.push_back(ms_since(t));
  }
  // Every edit re-analyses, so the request timings below include analysis once per version.
  Stats hover = measure("textDocument/hover", [&](int i) { return at(1 + (i * 37 % 4990), 4); });
  Stats completion =
      measure("textDocument/completion", [&](int i) { return at(1 + (i * 37 % 4990), 4); });
  Stats tokens = measure("textDocument/semanticTokens/full", [&](int) { return doc; });
  Stats symbols = measure("textDocument/documentSymbol", [&](int) { return doc; });
  Stats folding = measure("textDocument/foldingRange", [&](int) { return doc; });

  std::printf("tl-lsp round trips on a %d-line file (%zu bytes), %d rounds each, debounce 0\n",
              lines, text.size(), rounds);
  std::printf("%-44s %10s %10s %10s\n", "request", "median ms", "p95 ms", "min ms");
  auto row = [](const char* name, Stats s) {
    std::printf("%-44s %10.3f %10.3f %10.3f\n", name, s.median, s.p95, s.min);
  };
  std::printf("%-44s %10.3f\n", "didOpen -> publishDiagnostics (first parse)", open_ms);
  row("didChange -> publishDiagnostics", stats(diag));
  row("hover (builtin/declared name)", hover);
  row("completion (keywords+builtins+names)", completion);
  row("semanticTokens/full", tokens);
  row("documentSymbol", symbols);
  row("foldingRange", folding);
  c.call("shutdown");
  c.notify("exit");
  return c.wait_exit() == 0 ? 0 : 1;
}
