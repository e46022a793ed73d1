// Round-trip latency of tl-lsp requests on a generated 5,000-line file, through the real process
// (pipes, framing, JSON, the checker's analysis): hover, completion, semantic tokens, document
// symbols, diagnostics after an incremental edit, and an edit followed at once by a hover (the
// request waits for the re-check). Then completion of tensor names and property paths against a
// sparse ~4 GB llama-style GGUF with a real header (32000-token vocabulary) generated in /tmp,
// with the header cached and re-read after the file's mtime changed, and the header read itself
// timed in-process. Prints a table; `--quick` does fewer rounds, `--no-lint` runs the server
// without its lint findings (what the linter costs).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/common/gguf_header.h"
#include "tests/lsp/lsp_client.h"
#include "vm/model/model.h"

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

namespace fs = std::filesystem;

// A llama-7B-shaped GGUF v3 (32 blocks, Q4_0 weights, F32 norms, a 32000-token vocabulary with
// scores) whose tensor data is a hole: the header is real, the file takes no disk space.
uint64_t write_big_gguf(const fs::path& path, size_t* tensor_count) {
  struct T {
    std::string name;
    uint64_t rows, cols;
    uint32_t type;  // ggml: 0 F32, 2 Q4_0
  };
  std::vector<T> ts = {{"token_embd.weight", 32000, 4096, 2}};
  for (int i = 0; i < 32; ++i) {
    auto n = [&](const char* x) { return fmt::format("blk.{}.{}", i, x); };
    for (const char* w : {"attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight"})
      ts.push_back({n(w), 4096, 4096, 2});
    ts.push_back({n("ffn_gate.weight"), 11008, 4096, 2});
    ts.push_back({n("ffn_up.weight"), 11008, 4096, 2});
    ts.push_back({n("ffn_down.weight"), 4096, 11008, 2});
    ts.push_back({n("attn_norm.weight"), 1, 4096, 0});
    ts.push_back({n("ffn_norm.weight"), 1, 4096, 0});
  }
  ts.push_back({"output_norm.weight", 1, 4096, 0});
  ts.push_back({"output.weight", 32000, 4096, 2});
  tl::bench::GgufHeader h(ts.size(), 3);
  h.metadata_string("general.architecture", "llama");
  h.metadata_strings("tokenizer.ggml.tokens", 32000,
                     [](uint64_t i) { return "tok" + std::to_string(i); });
  h.metadata_f32s("tokenizer.ggml.scores", 32000,
                  [](uint64_t i) { return -static_cast<float>(i); });
  for (const T& t : ts) {
    const uint64_t bytes = t.type == 0 ? t.rows * t.cols * 4 : t.rows * t.cols / 32 * 18;
    if (t.rows == 1)  // GGUF lists the fastest-varying dimension first
      h.tensor(t.name, {t.cols}, t.type, bytes);
    else
      h.tensor(t.name, {t.cols, t.rows}, t.type, bytes);
  }
  const std::string b = h.finish();
  const uint64_t off = h.data_bytes();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ::write(fd, b.data(), b.size()) != static_cast<ssize_t>(b.size()) ||
      ::ftruncate(fd, static_cast<off_t>(b.size() + off)) != 0)
    std::abort();
  ::close(fd);
  *tensor_count = ts.size();
  return b.size() + off;
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
  bool quick = false, lint = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else if (a == "--no-lint") {
      lint = false;  // the server without the linter, to see what lint costs
    } else {
      std::fprintf(stderr, "usage: bench_lsp_latency [--quick] [--no-lint]\n");
      return 2;
    }
  }
  const int rounds = quick ? 20 : 200;
  const std::string uri = "file:///tmp/bench.tl";
  std::string text = generate(500);
  int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n'));

  std::vector<std::string> server_args = {"--quiet", "--debounce-ms=0"};
  if (!lint) server_args.push_back("--no-lint");
  LspClient c(server_args);
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
    // Lint findings (when on) come with both versions; the syntax error only with the one.
    if (diagnostics_from((*n)["params"]["diagnostics"], "tl").empty() == remove) {
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

  // An edit, then a hover at once: the request re-checks the whole file before it answers.
  std::vector<double> edit_hover;
  for (int i = 0; i < rounds; ++i) {
    ++version;
    bool remove = version % 2 == 0;
    json range = {{"start", {{"line", line}, {"character", 13}}},
                  {"end", {{"line", line}, {"character", remove ? 14 : 13}}}};
    auto t = Clock::now();
    c.notify("textDocument/didChange",
             {{"textDocument", {{"uri", uri}, {"version", version}}},
              {"contentChanges", {{{"range", range}, {"text", remove ? "" : ","}}}}});
    json r = c.call("textDocument/hover", at(1 + 100 * 10 + 7, 5), 30s);
    if (!r["result"].is_object()) {
      std::fprintf(stderr, "hover after edit failed: %s\n", r.dump().c_str());
      return 1;
    }
    edit_hover.push_back(ms_since(t));
  }
  Stats typed = measure("textDocument/hover",  // `let y_i = layer_i(...)`: a checked type
                        [&](int i) { return at(1 + (i * 37 % 500) * 10 + 7, 5); });
  Stats call_hover = measure("textDocument/hover",  // the callee: signature and size bindings
                             [&](int i) { return at(1 + (i * 37 % 500) * 10 + 7, 12); });
  Stats inner = measure("textDocument/completion",  // inside a function body: its scope too
                        [&](int i) { return at(1 + (i * 37 % 500) * 10 + 3, 4); });
  Stats sig = measure("textDocument/signatureHelp",
                      [&](int i) { return at(1 + (i * 37 % 500) * 10 + 7, 24); });

  // --- a multi-GB GGUF --------------------------------------------------------------------------
  const fs::path dir = fs::temp_directory_path() / fmt::format("tl_lsp_bench_{}", ::getpid());
  fs::create_directories(dir);
  const fs::path gguf = dir / "big.gguf";
  size_t tensor_count = 0;
  const uint64_t gguf_size = write_big_gguf(gguf, &tensor_count);
  std::vector<double> reads;
  for (int i = 0; i < std::min(rounds, 50); ++i) {
    auto t = Clock::now();
    tl::ModelHeader h = tl::read_model_header(gguf);
    reads.push_back(ms_since(t));
    if (h.tensors.size() != tensor_count) {
      std::fprintf(stderr, "header has %zu tensors\n", h.tensors.size());
      return 1;
    }
  }
  const std::string muri = "file://" + (dir / "model.tl").string();
  c.open(muri,
         "let m = load_model(\"big.gguf\")\nlet t = m.get_tensor(\"blk.0.attn_q.weight\")\n"
         "let u = m.blk[0].attn_q.weight\n");
  if (!c.wait_notification(
          "textDocument/publishDiagnostics",
          [&](const json& m) { return m["params"]["uri"] == muri; }, 30s)) {
    std::fprintf(stderr, "no diagnostics for the model program\n");
    return 1;
  }
  auto mat = [&](int l, int col) {
    return json{{"textDocument", {{"uri", muri}}}, {"position", {{"line", l}, {"character", col}}}};
  };
  json names = c.call("textDocument/completion", mat(1, 22));
  if (names["result"]["items"].size() != tensor_count) {
    std::fprintf(stderr, "expected %zu tensor names: %s\n", tensor_count,
                 names.dump().substr(0, 300).c_str());
    return 1;
  }
  Stats names_cached = measure("textDocument/completion", [&](int) { return mat(1, 22); });
  Stats path_cached = measure("textDocument/completion", [&](int) { return mat(2, 17); });
  Stats tensor_hover = measure("textDocument/hover", [&](int) { return mat(1, 25); });
  // The file changes on disk (new mtime): the next request re-reads the header.
  std::vector<double> reread;
  for (int i = 0; i < std::min(rounds, 50); ++i) {
    fs::last_write_time(gguf, fs::last_write_time(gguf) + std::chrono::seconds(1));
    auto t = Clock::now();
    json r = c.call("textDocument/completion", mat(1, 22), 30s);
    reread.push_back(ms_since(t));
    if (r["result"]["items"].size() != tensor_count) return 1;
  }
  fs::remove_all(dir);

  std::printf("tl-lsp round trips on a %d-line file (%zu bytes), %d rounds each, debounce 0, %s\n",
              lines, text.size(), rounds, lint ? "lint on" : "lint off");
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
  row("didChange + hover at once (re-check first)", stats(edit_hover));
  row("hover on a checked name (let y_i)", typed);
  row("hover on a callee (signature + bindings)", call_hover);
  row("completion in a function body (scopes)", inner);
  row("signatureHelp (user function)", sig);
  std::printf("\nA %.1f GB GGUF (sparse; %zu tensors, 32000-token vocabulary):\n",
              static_cast<double>(gguf_size) / 1e9, tensor_count);
  row("read_model_header (in-process)", stats(reads));
  row("completion in get_tensor(\"\") (cached header)", names_cached);
  row("completion after m.blk[0]. (cached header)", path_cached);
  row("hover on a tensor name", tensor_hover);
  row("completion after the file's mtime changed", stats(reread));
  c.call("shutdown");
  c.notify("exit");
  return c.wait_exit() == 0 ? 0 : 1;
}
