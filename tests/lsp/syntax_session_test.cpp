// Sessions on the guide's program (tests/lsp/data, copied from the guide): parser diagnostics at
// the right range in both encodings, none for the correct program, symbols, semantic tokens,
// folding, completion, hover and definition through the real tl-lsp process.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/lsp/lsp_client.h"

namespace tl::lsp::test {
namespace {

const std::string kUri = "file:///tmp/guide.tl";

std::string read_data(const std::string& name) {
  std::ifstream f(std::string(TL_TESTS_DIR) + "/lsp/data/" + name, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

json pos(int64_t line, int64_t character) {
  return {{"line", line}, {"character", character}};
}
json range(int64_t l0, int64_t c0, int64_t l1, int64_t c1) {
  return {{"start", pos(l0, c0)}, {"end", pos(l1, c1)}};
}
json at(int64_t line, int64_t character) {
  return {{"textDocument", {{"uri", kUri}}}, {"position", pos(line, character)}};
}
json doc() {
  return {{"textDocument", {{"uri", kUri}}}};
}

json diagnostics_for(LspClient& c, int64_t version) {
  auto n = c.wait_notification("textDocument/publishDiagnostics", [&](const json& m) {
    return m["params"]["uri"] == kUri && m["params"]["version"] == version;
  });
  if (!n) return {{"timeout", true}};
  return (*n)["params"]["diagnostics"];
}

void finish(LspClient& c) {
  c.call("shutdown");
  c.notify("exit");
  EXPECT_EQ(c.wait_exit(), 0);
}

// Line 32 of the test file is `print("Output:", output)`.
constexpr int kPrintLine = 32;

class GuideProgram : public ::testing::TestWithParam<const char*> {};

// No parser or checker diagnostic; the linter's (the ja text's `function`) are lint_session_test's.
TEST_P(GuideProgram, CorrectProgramHasNoErrorsOrCheckerWarnings) {
  LspClient c({"--quiet", "--debounce-ms=10"});
  c.initialize();
  c.open(kUri, read_data(GetParam()));
  json d = diagnostics_for(c, 1);
  EXPECT_EQ(diagnostics_from(d, "tl"), json::array()) << d.dump();
  finish(c);
}

INSTANTIATE_TEST_SUITE_P(Translations, GuideProgram,
                         ::testing::Values("guide_linear.ja.tl", "guide_linear.ru.tl"));

TEST(SyntaxDiagnostics, MissingCommaReportedAtTheRightRangeAndClearedWhenFixed) {
  LspClient c({"--quiet", "--debounce-ms=10"});
  c.initialize();
  std::string text = read_data("guide_linear.ja.tl");
  ASSERT_NE(text.find("print(\"Output:\", output)"), std::string::npos);
  c.open(kUri, text);
  EXPECT_EQ(diagnostics_from(diagnostics_for(c, 1), "tl"), json::array());
  // Delete the comma: `print("Output:" output)`; 'output' is now at columns 16..22.
  c.notify(
      "textDocument/didChange",
      {{"textDocument", {{"uri", kUri}, {"version", 2}}},
       {"contentChanges", {{{"range", range(kPrintLine, 15, kPrintLine, 16)}, {"text", ""}}}}});
  json d = diagnostics_for(c, 2);
  ASSERT_EQ(d.size(), 1u) << d.dump();
  EXPECT_EQ(d[0]["range"], range(kPrintLine, 16, kPrintLine, 22));
  EXPECT_EQ(d[0]["severity"], 1);
  EXPECT_EQ(d[0]["code"], "E0202");
  EXPECT_NE(d[0]["message"].get<std::string>().find("expected ')'"), std::string::npos);
  // Put it back: no errors again (the syntax error's lint-free publish is strict above).
  c.notify(
      "textDocument/didChange",
      {{"textDocument", {{"uri", kUri}, {"version", 3}}},
       {"contentChanges", {{{"range", range(kPrintLine, 15, kPrintLine, 15)}, {"text", ","}}}}});
  EXPECT_EQ(diagnostics_from(diagnostics_for(c, 3), "tl"), json::array());
  finish(c);
}

// The same error after a Japanese string: columns differ between UTF-16 and UTF-8.
void check_japanese_error(bool utf8) {
  LspClient c({"--quiet", "--debounce-ms=10"});
  c.initialize(utf8 ? json{{"general", {{"positionEncodings", {"utf-8"}}}}} : json::object());
  std::string text = read_data("guide_linear.ja.tl");
  size_t p = text.find("print(\"Output:\", output)");
  text.replace(p, 24, "print(\"出力:\" output)");
  c.open(kUri, text);
  json d = diagnostics_for(c, 1);
  ASSERT_EQ(d.size(), 1u) << d.dump();
  // print(" = 7, 出力: = 3 UTF-16 units / 7 bytes, `" ` = 2.
  int64_t col = utf8 ? 16 : 12;
  EXPECT_EQ(d[0]["range"], range(kPrintLine, col, kPrintLine, col + 6));
  finish(c);
}

TEST(SyntaxDiagnostics, NonAsciiColumnsInUtf16) {
  check_japanese_error(false);
}
TEST(SyntaxDiagnostics, NonAsciiColumnsInUtf8) {
  check_japanese_error(true);
}

TEST(SyntaxDiagnostics, MissingExpressionUnderlinesTheNextToken) {
  LspClient c({"--quiet", "--debounce-ms=10"});
  c.initialize();
  std::string text = read_data("guide_linear.ja.tl");
  size_t p = text.find("input @ weights\n");
  text.replace(p, 16, "input @\n");
  c.open(kUri, text);
  json d = diagnostics_for(c, 1);
  ASSERT_GE(d.size(), 1u) << d.dump();
  EXPECT_EQ(d[0]["code"], "E0201");
  EXPECT_EQ(d[0]["range"], range(6, 4, 6, 10));  // `return` on the next line
  finish(c);
}

class GuideSession : public ::testing::Test {
 protected:
  void SetUp() override {
    c.initialize();
    c.open(kUri, read_data("guide_linear.ja.tl"));
  }
  void TearDown() override { finish(c); }
  LspClient c{{"--quiet"}};
};

TEST_F(GuideSession, DocumentSymbols) {
  json s = c.call("textDocument/documentSymbol", doc())["result"];
  ASSERT_TRUE(s.is_array()) << s.dump();
  std::vector<std::string> names;
  for (const auto& x : s) names.push_back(x["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"forward", "X", "W", "b", "output"}));
  EXPECT_EQ(s[0]["kind"], 12);
  EXPECT_EQ(s[0]["selectionRange"], range(1, 9, 1, 16));
  EXPECT_EQ(s[0]["range"], range(1, 0, 7, 1));
  std::vector<std::string> children;
  for (const auto& x : s[0]["children"]) children.push_back(x["name"]);
  EXPECT_EQ(children, (std::vector<std::string>{"input", "weights", "bias", "output"}));
  EXPECT_EQ(s[1]["kind"], 13);
  EXPECT_EQ(s[1]["range"]["start"], pos(10, 0));
  EXPECT_EQ(s[1]["range"]["end"], pos(15, 15));
}

struct Tok {
  int64_t line, col, len, type, mods;
};

std::vector<Tok> decode(const json& data) {
  std::vector<Tok> out;
  int64_t line = 0, col = 0;
  for (size_t i = 0; i + 4 < data.size() + 0 && i + 4 < data.size() + 1; i += 5) {
    int64_t dl = data[i], dc = data[i + 1];
    line += dl;
    col = dl ? dc : col + dc;
    out.push_back({line, col, data[i + 2], data[i + 3], data[i + 4]});
  }
  return out;
}

std::optional<Tok> token_at(const std::vector<Tok>& ts, int64_t line, int64_t col) {
  for (const auto& t : ts)
    if (t.line == line && t.col == col) return t;
  return std::nullopt;
}

TEST_F(GuideSession, SemanticTokens) {
  json r = c.call("textDocument/semanticTokens/full", doc())["result"];
  ASSERT_TRUE(r["data"].is_array());
  ASSERT_EQ(r["data"].size() % 5, 0u);
  auto ts = decode(r["data"]);
  // Legend: keyword 0, function 1, variable 2, parameter 3, number 4, string 5, comment 6,
  // operator 7, type 8; modifiers declaration 1, defaultLibrary 2.
  auto expect = [&](int64_t line, int64_t col, int64_t len, int64_t type, int64_t mods) {
    auto t = token_at(ts, line, col);
    ASSERT_TRUE(t) << line << ":" << col;
    EXPECT_EQ(t->len, len) << line << ":" << col;
    EXPECT_EQ(t->type, type) << line << ":" << col;
    EXPECT_EQ(t->mods, mods) << line << ":" << col;
  };
  expect(1, 0, 8, 0, 0);   // function
  expect(1, 9, 7, 1, 1);   // forward (declaration)
  expect(1, 17, 5, 3, 1);  // input (parameter declaration)
  expect(1, 24, 7, 8, 0);  // float16
  expect(1, 32, 1, 8, 0);  // N (a size variable)
  // `    // 線形変換: output = ...`: a comment whose length counts UTF-16 units.
  expect(4, 4, 40, 6, 0);
  expect(5, 23, 1, 7, 0);   // @
  expect(5, 25, 7, 3, 0);   // weights (parameter use)
  expect(11, 5, 3, 4, 0);   // 1.0
  expect(28, 13, 7, 1, 0);  // forward(...) call
  expect(31, 0, 5, 1, 2);   // print: a builtin
  expect(31, 6, 15, 5, 0);  // "Output shape:"
  expect(31, 30, 5, 9, 0);  // .shape: a property
  // Tokens are sorted and do not overlap.
  for (size_t i = 1; i < ts.size(); ++i)
    EXPECT_TRUE(ts[i].line > ts[i - 1].line ||
                (ts[i].line == ts[i - 1].line && ts[i].col >= ts[i - 1].col + ts[i - 1].len));
}

TEST_F(GuideSession, FoldingRanges) {
  json r = c.call("textDocument/foldingRange", doc())["result"];
  auto has = [&](int64_t a, int64_t b) {
    for (const auto& f : r)
      if (f["startLine"] == a && f["endLine"] == b) return true;
    return false;
  };
  EXPECT_TRUE(has(3, 6)) << r.dump();    // the function body, `}` kept visible
  EXPECT_TRUE(has(1, 3)) << r.dump();    // the parameter list
  EXPECT_TRUE(has(10, 14)) << r.dump();  // the tensor literal of X
}

TEST_F(GuideSession, CompletionHasKeywordsBuiltinsAndDeclaredNames) {
  json r = c.call("textDocument/completion", at(29, 0))["result"];
  std::map<std::string, json> items;
  for (const auto& i : r["items"]) items[i["label"]] = i;
  ASSERT_TRUE(items.count("softmax"));
  EXPECT_EQ(items["softmax"]["detail"], "softmax(x: Tensor, dim: int = -1) -> Tensor");
  EXPECT_EQ(items["softmax"]["kind"], 3);
  EXPECT_NE(items["softmax"]["documentation"]["value"].get<std::string>().find("stably"),
            std::string::npos);
  // (`tensor` is both a keyword and a builtin, so it is listed twice with two kinds.)
  for (const char* k : {"fn", "function", "let", "while", "return", "learnable"}) {
    ASSERT_TRUE(items.count(k)) << k;
    EXPECT_EQ(items[k]["kind"], 14) << k;
  }
  for (const char* n : {"forward", "X", "W", "b", "output", "load_model", "rms_norm", "float16"})
    EXPECT_TRUE(items.count(n)) << n;
  EXPECT_FALSE(items.count("weights"));  // a parameter, not visible outside forward
  // Inside forward, its parameters are offered.
  json in = c.call("textDocument/completion", at(6, 4))["result"];
  bool has_weights = false;
  for (const auto& i : in["items"]) has_weights |= i["label"] == "weights";
  EXPECT_TRUE(has_weights);
}

TEST_F(GuideSession, HoverAndDefinition) {
  json h = c.call("textDocument/hover", at(31, 2))["result"];  // print
  ASSERT_TRUE(h.is_object());
  EXPECT_NE(h["contents"]["value"].get<std::string>().find(
                "print(values: any..., end: string = \"\\n\", stderr: bool = false) -> none"),
            std::string::npos);
  json f = c.call("textDocument/hover", at(28, 15))["result"];  // forward
  ASSERT_TRUE(f.is_object());
  EXPECT_NE(f["contents"]["value"].get<std::string>().find("forward(input: float16[N, D_in]"),
            std::string::npos);
  json d = c.call("textDocument/definition", at(28, 15))["result"];
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0]["uri"], kUri);
  EXPECT_EQ(d[0]["range"], range(1, 9, 1, 16));
  json p = c.call("textDocument/definition", at(6, 20))["result"];  // `bias` in return
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0]["range"], range(3, 17, 3, 21));
  json s = c.call("textDocument/signatureHelp", at(28, 24))["result"];  // the checker's answer
  ASSERT_TRUE(s.is_object()) << s.dump();
  EXPECT_EQ(s["signatures"][0]["label"],
            "forward(input: float16[N, D_in], weights: float16[D_in, D_out], bias: float16[D_out]) "
            "-> float16[N, D_out]");
  EXPECT_EQ(s["activeParameter"], 1);
}

}  // namespace
}  // namespace tl::lsp::test
