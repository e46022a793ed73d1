// Sessions against the real tl-lsp process: the linter's findings (formatter/lint.h, what
// `tl lint` prints) published beside the checker's, with source "tl-lint", rule ids as codes and
// Unnecessary tags; `tl-lint: allow` comments; the `lint` setting from initializationOptions,
// workspace/didChangeConfiguration and --no-lint; lint fix-its as quick fixes and the
// "source.fixAll.tl" action, applied and re-checked; no duplicate of the checker's W0301/W0302;
// nothing from the linter while the file has syntax errors.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "tests/lsp/lsp_client.h"

namespace tl::lsp::test {
namespace {

const std::string kUri = "file:///tmp/tl_lsp_lint_test.tl";

// Lines (0-based) and what the linter says of them.
const char* kProgram =
    "function f(x: int) -> int {\n"  // 0: W0607 `function` (fix: fn)
    "    x\n"                        // 1
    "}\n"                            // 2
    "let unused = f(1)\n"            // 3: W0601 unused_variable (Unnecessary)
    "y = 2\n"                        // 4: W0606 implicit declaration (fix: let)
    "print(y)\n"                     // 5
    "z := 3\n"                       // 6: W0614 colon_equal (fix: let, =)
    "print(z)\n";                    // 7

json pos(int64_t line, int64_t character) {
  return {{"line", line}, {"character", character}};
}
json range(int64_t l0, int64_t c0, int64_t l1, int64_t c1) {
  return {{"start", pos(l0, c0)}, {"end", pos(l1, c1)}};
}

json diagnostics_for(LspClient& c, int64_t version) {
  auto n = c.wait_notification("textDocument/publishDiagnostics", [&](const json& m) {
    return m["params"]["uri"] == kUri && m["params"]["version"] == version;
  });
  if (!n) return {{"timeout", true}};
  return (*n)["params"]["diagnostics"];
}

void change(LspClient& c, int64_t version, const std::string& text) {
  c.notify("textDocument/didChange", {{"textDocument", {{"uri", kUri}, {"version", version}}},
                                      {"contentChanges", {{{"text", text}}}}});
}

// The diagnostic with `code`, or null.
json find_code(const json& diags, const std::string& code) {
  for (const auto& d : diags)
    if (d.value("code", "") == code) return d;
  return nullptr;
}

std::multiset<std::string> codes(const json& diags) {
  std::multiset<std::string> out;
  for (const auto& d : diags) out.insert(d.value("code", "?"));
  return out;
}

json code_actions(LspClient& c, const json& r, const json& diags, json only = nullptr) {
  json context = {{"diagnostics", diags}};
  if (!only.is_null()) context["only"] = std::move(only);
  return c.call("textDocument/codeAction",
                {{"textDocument", {{"uri", kUri}}}, {"range", r}, {"context", context}})["result"];
}

// Applies LSP TextEdits to an ASCII text (so characters are bytes), last edit first.
std::string apply(std::string text, json edits) {
  auto offset = [&](const json& p) {
    size_t off = 0;
    for (int64_t line = 0; line < p["line"].get<int64_t>(); ++line) off = text.find('\n', off) + 1;
    return off + p["character"].get<size_t>();
  };
  std::vector<json> sorted(edits.begin(), edits.end());
  std::sort(sorted.begin(), sorted.end(), [&](const json& a, const json& b) {
    return offset(a["range"]["start"]) > offset(b["range"]["start"]);
  });
  for (const auto& e : sorted) {
    size_t b = offset(e["range"]["start"]), f = offset(e["range"]["end"]);
    text.replace(b, f - b, e["newText"].get<std::string>());
  }
  return text;
}

void finish(LspClient& c) {
  c.call("shutdown");
  c.notify("exit");
  EXPECT_EQ(c.wait_exit(), 0);
}

TEST(LintDiagnostics, PublishedWithRuleCodesSourceAndTags) {
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  c.initialize();
  c.open(kUri, kProgram);
  json d = diagnostics_for(c, 1);
  EXPECT_EQ(diagnostics_from(d, "tl"), json::array()) << d.dump();  // nothing for the checker
  EXPECT_EQ(codes(d), (std::multiset<std::string>{"W0601", "W0606", "W0607", "W0614"})) << d.dump();
  for (const auto& x : d) {
    EXPECT_EQ(x["source"], "tl-lint") << x.dump();
    EXPECT_EQ(x["severity"], 2) << x.dump();
  }
  json fn = find_code(d, "W0607");
  EXPECT_EQ(fn["range"], range(0, 0, 0, 8));
  EXPECT_EQ(fn["message"], "'function' is spelled 'fn' in canonical TL");
  EXPECT_FALSE(fn.contains("tags")) << fn.dump();
  // An unused name is faded: DiagnosticTag.Unnecessary.
  json unused = find_code(d, "W0601");
  EXPECT_EQ(unused["range"], range(3, 4, 3, 10));
  EXPECT_EQ(unused["tags"], json::array({1})) << unused.dump();
  finish(c);
}

TEST(LintDiagnostics, AllowCommentsSuppressFindings) {
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  c.initialize();
  c.open(kUri,
         "// tl-lint: allow(function_keyword)\n"
         "function f(x: int) -> int {\n    x\n}\n"
         "let unused = f(1) // tl-lint: allow(W0601)\n"
         "let other = 2\n");
  json d = diagnostics_for(c, 1);
  // Only the unsuppressed `other` is left.
  ASSERT_EQ(codes(d), (std::multiset<std::string>{"W0601"})) << d.dump();
  EXPECT_EQ(d[0]["range"], range(5, 4, 5, 9));
  // A misspelt rule silences nothing and is itself reported.
  change(c, 2, "let a = 1 // tl-lint: allow(unused_varaible)\n");
  EXPECT_EQ(codes(diagnostics_for(c, 2)), (std::multiset<std::string>{"W0601", "W0615"}));
  finish(c);
}

TEST(LintSetting, InitializationOptionsTurnLintOff) {
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  c.initialize(json::object(), {{"lint", false}});
  // The checker still reports: an unknown name.
  c.open(kUri, std::string(kProgram) + "print(zz)\n");
  json d = diagnostics_for(c, 1);
  EXPECT_EQ(codes(d), (std::multiset<std::string>{"E0301"})) << d.dump();
  // No lint fix-its without lint findings: neither a quick fix nor the fix-all.
  EXPECT_EQ(code_actions(c, range(0, 0, 0, 8), json::array()), json::array());
  finish(c);
}

TEST(LintSetting, NoLintFlagUntilTheClientAsks) {
  LspClient off{{"--quiet", "--debounce-ms=10", "--no-lint"}};
  off.initialize();
  off.open(kUri, kProgram);
  EXPECT_EQ(diagnostics_for(off, 1), json::array());
  finish(off);
  // initializationOptions win over the command line.
  LspClient on{{"--quiet", "--debounce-ms=10", "--no-lint"}};
  on.initialize(json::object(), {{"lint", true}});
  on.open(kUri, kProgram);
  EXPECT_EQ(codes(diagnostics_for(on, 1)).count("W0607"), 1u);
  finish(on);
}

TEST(LintSetting, DidChangeConfigurationTogglesAndRepublishes) {
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  c.initialize();
  c.open(kUri, kProgram);
  ASSERT_EQ(diagnostics_for(c, 1).size(), 4u);
  // VS Code's shape (the "tl" section): the open document is published again, without lint.
  c.notify("workspace/didChangeConfiguration", {{"settings", {{"tl", {{"lint", false}}}}}});
  EXPECT_EQ(diagnostics_for(c, 1), json::array());
  // Edits keep the setting.
  change(c, 2, std::string(kProgram) + "let more = 1\n");
  EXPECT_EQ(diagnostics_for(c, 2), json::array());
  // The bare shape turns it back on.
  c.notify("workspace/didChangeConfiguration", {{"settings", {{"lint", true}}}});
  json d = diagnostics_for(c, 2);
  EXPECT_EQ(codes(d), (std::multiset<std::string>{"W0601", "W0601", "W0606", "W0607", "W0614"}))
      << d.dump();
  finish(c);
}

TEST(LintSetting, MalformedSettingsAreIgnored) {
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  // Not an object: logged and ignored, the server initializes with lint on.
  json init = c.initialize(json::object(), json::array({1, 2}));
  ASSERT_TRUE(init.contains("result")) << init.dump();
  c.open(kUri, kProgram);
  ASSERT_EQ(diagnostics_for(c, 1).size(), 4u);
  for (json bad : {json(5), json{{"tl", "yes"}}, json{{"lint", "no"}}, json{{"tl", {{"lint", 0}}}},
                   json(nullptr), json::object(), json{{"tl", nullptr}}})
    c.notify("workspace/didChangeConfiguration", {{"settings", bad}});
  c.notify("workspace/didChangeConfiguration", json::array());
  c.notify("workspace/didChangeConfiguration", json::object());
  // Still lint on, still answering: the next edit publishes the lint findings.
  change(c, 2, kProgram);
  EXPECT_EQ(diagnostics_for(c, 2).size(), 4u);
  finish(c);
}

TEST(LintFixes, QuickFixesApplyAndTheFindingGoesAway) {
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  c.initialize();
  std::string text = kProgram;
  c.open(kUri, text);
  json d = diagnostics_for(c, 1);
  struct Case {
    std::string code;
    std::string title;
  };
  int64_t version = 1;
  for (const Case& k : {Case{"W0607", "Change `function` to `fn`"}, Case{"W0606", "Insert `let `"},
                        Case{"W0614", "Change `z :=` to `let z =`"}}) {
    json diag = find_code(d, k.code);
    ASSERT_TRUE(diag.is_object()) << k.code << " in " << d.dump();
    json actions = code_actions(c, diag["range"], json::array({diag}), json::array({"quickfix"}));
    ASSERT_EQ(actions.size(), 1u) << actions.dump();
    const json& a = actions[0];
    EXPECT_EQ(a["kind"], "quickfix");
    EXPECT_EQ(a["title"], k.title);
    EXPECT_EQ(a["isPreferred"], true);
    ASSERT_EQ(a["diagnostics"].size(), 1u);
    EXPECT_EQ(a["diagnostics"][0]["code"], k.code);
    EXPECT_EQ(a["diagnostics"][0]["source"], "tl-lint");
    text = apply(text, a["edit"]["changes"][kUri]);
    change(c, ++version, text);
    d = diagnostics_for(c, version);
    EXPECT_TRUE(find_code(d, k.code).is_null()) << k.code << " after the fix: " << d.dump();
  }
  EXPECT_EQ(text,
            "fn f(x: int) -> int {\n    x\n}\nlet unused = f(1)\nlet y = 2\nprint(y)\n"
            "let z = 3\nprint(z)\n");
  EXPECT_EQ(codes(d), (std::multiset<std::string>{"W0601"}));  // no fix-it for an unused name
  finish(c);
}

TEST(LintFixes, FixAllSourceActionAppliesEveryLintFix) {
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  c.initialize();
  const std::string text = std::string(kProgram) + "let w: float32[2] = ones(2)\nprint(w)\n";
  c.open(kUri, text);
  diagnostics_for(c, 1);
  // What VS Code asks on save with "source.fixAll": only that kind (and its sub-kinds).
  json actions = code_actions(c, range(0, 0, 0, 0), json::array(), json::array({"source.fixAll"}));
  ASSERT_EQ(actions.size(), 1u) << actions.dump();
  EXPECT_EQ(actions[0]["kind"], "source.fixAll.tl");
  EXPECT_EQ(actions[0]["title"], "Fix all lint findings");
  EXPECT_FALSE(actions[0].contains("diagnostics"));
  std::string fixed = apply(text, actions[0]["edit"]["changes"][kUri]);
  EXPECT_EQ(fixed,
            "fn f(x: int) -> int {\n    x\n}\nlet unused = f(1)\nlet y = 2\nprint(y)\n"
            "let z = 3\nprint(z)\nlet w: float16[2] = ones(2)\nprint(w)\n");
  change(c, 2, fixed);
  EXPECT_EQ(codes(diagnostics_for(c, 2)), (std::multiset<std::string>{"W0601"}));
  // Quick fixes only: no source action.
  for (const auto& a : code_actions(c, range(0, 0, 9, 0), json::array(), json::array({"quickfix"})))
    EXPECT_EQ(a["kind"], "quickfix") << a.dump();
  finish(c);
}

TEST(LintAndChecker, NoDuplicateOfTheCheckersWarnings) {
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  c.initialize();
  c.open(kUri,
         "let w: float32[2] = ones(2)\n"  // 0: W0301 (checker) = W0608 (lint)
         "print(w)\n"                     // 1
         "fn g(x: int) -> int {\n"        // 2
         "    return x\n"                 // 3
         "    let dead = 1\n"             // 4: W0302 (checker) = W0609 (lint)
         "    print(dead)\n"              // 5
         "}\n"                            // 6
         "print(g(1))\n");
  json d = diagnostics_for(c, 1);
  EXPECT_EQ(codes(d), (std::multiset<std::string>{"W0301", "W0302"})) << d.dump();
  json wide = find_code(d, "W0301");
  EXPECT_EQ(wide["source"], "tl");
  EXPECT_EQ(wide["range"], range(0, 7, 0, 14));
  // Unreachable code is faded, every dead statement of it (the lint rule's range).
  json dead = find_code(d, "W0302");
  EXPECT_EQ(dead["range"], range(4, 4, 5, 15)) << dead.dump();
  EXPECT_EQ(dead["tags"], json::array({1}));
  // The lint rule's fix-it is offered for the checker's warning.
  json actions = code_actions(c, wide["range"], json::array({wide}), json::array({"quickfix"}));
  ASSERT_EQ(actions.size(), 1u) << actions.dump();
  EXPECT_EQ(actions[0]["title"], "Change `float32` to `float16`");
  EXPECT_EQ(actions[0]["diagnostics"][0]["code"], "W0301");
  // With lint off, the checker's warnings stay (they are the checker's).
  c.notify("workspace/didChangeConfiguration", {{"settings", {{"tl", {{"lint", false}}}}}});
  EXPECT_EQ(codes(diagnostics_for(c, 1)), (std::multiset<std::string>{"W0301", "W0302"}));
  finish(c);
}

TEST(LintAndChecker, SyntaxErrorsGetOnlySyntaxDiagnostics) {
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  c.initialize();
  // The lint findings of kProgram, then a missing ')' at the end.
  c.open(kUri, std::string(kProgram) + "print((1)\n");
  json d = diagnostics_for(c, 1);
  ASSERT_FALSE(d.empty()) << d.dump();
  for (const auto& x : d) {
    EXPECT_EQ(x["source"], "tl") << x.dump();
    EXPECT_EQ(x["severity"], 1) << x.dump();
    std::string code = x["code"];
    EXPECT_TRUE(code.starts_with("E01") || code.starts_with("E02")) << x.dump();
  }
  // Fixed: the lint findings come back.
  change(c, 2, kProgram);
  EXPECT_EQ(diagnostics_for(c, 2).size(), 4u);
  finish(c);
}

}  // namespace
}  // namespace tl::lsp::test
