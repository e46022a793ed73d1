// tl_format's linter: golden findings per rule, suppression, the rule table and docs, the CLI.
// TL_UPDATE_GOLDEN=1 rewrites the .expected files (review the diff before committing).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"
#include "formatter/lint.h"

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path cases_dir() {
  return fs::path(TL_TESTS_DIR) / "lint" / "cases";
}

std::string where(const tl::SourceManager& sm, tl::SourceRange r) {
  const tl::SourceFile* f = sm.file(r.file);
  if (!f) return "?";
  tl::LineColumn b = f->position(r.begin), e = f->position(r.end);
  return std::to_string(b.line) + ":" + std::to_string(b.column) + "-" + std::to_string(e.line) +
         ":" + std::to_string(e.column);
}

// Lints `path` with the checker's analysis, as `tl lint` does; findings in a stable text form.
std::string lint_text(const fs::path& path, bool with_analysis = true) {
  tl::SourceManager sm;
  tl::sema::AnalysisContext ctx(sm);
  std::string why;
  auto file = sm.load(path.string(), &why);
  if (!file) return "cannot read: " + why;
  auto tree = tl::parse(file);
  std::unique_ptr<tl::sema::Analysis> analysis;
  if (with_analysis) analysis = tl::sema::analyze(*tree, ctx);
  std::string out;
  for (const tl::Diagnostic& d : tl::lint::lint(*tree, analysis.get(), &sm)) {
    const tl::DiagInfo& info = tl::diag_info(d.code);
    out += where(sm, d.range) + " " + std::string(info.id) + " " + std::string(info.name) + ": " +
           d.message + "\n";
    for (const tl::DiagNote& n : d.notes)
      out += "    note " + where(sm, n.range) + ": " + n.message + "\n";
    for (const tl::FixIt& f : d.fixits)
      out += "    fix " + where(sm, f.range) + " \"" + f.replacement + "\"\n";
  }
  return out;
}

std::vector<fs::path> cases() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(cases_dir()))
    if (e.path().extension() == ".tl") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(LintGolden, EveryCaseMatchesItsExpectedFindings) {
  bool update = std::getenv("TL_UPDATE_GOLDEN") != nullptr;
  std::vector<fs::path> all = cases();
  ASSERT_GE(all.size(), tl::lint::all_rules().size());
  for (const fs::path& p : all) {
    SCOPED_TRACE(p.filename().string());
    std::string got = lint_text(p);
    fs::path expected = fs::path(p).replace_extension(".expected");
    if (update) std::ofstream(expected, std::ios::binary) << got;
    ASSERT_TRUE(fs::exists(expected)) << expected;
    EXPECT_EQ(got, read_file(expected));
  }
}

TEST(LintGolden, EveryRuleHasACaseWithAFindingAndADocEntry) {
  std::string docs = read_file(fs::path(TL_TESTS_DIR).parent_path() / "docs" / "lint.md");
  ASSERT_FALSE(docs.empty());
  for (tl::DiagCode code : tl::lint::all_rules()) {
    const tl::DiagInfo& info = tl::diag_info(code);
    SCOPED_TRACE(std::string(info.id));
    fs::path c = cases_dir() / (std::string(info.name) + ".tl");
    ASSERT_TRUE(fs::exists(c)) << "no case for the rule: " << c;
    EXPECT_NE(lint_text(c).find(std::string(info.id)), std::string::npos) << "no finding in " << c;
    std::string heading = "## " + std::string(info.id) + " " + std::string(info.name);
    EXPECT_NE(docs.find(heading), std::string::npos) << "docs/lint.md lacks '" << heading << "'";
  }
}

TEST(LintRules, FindByIdOrName) {
  EXPECT_EQ(tl::lint::find_rule("W0601"), tl::DiagCode::W0601);
  EXPECT_EQ(tl::lint::find_rule("unused_variable"), tl::DiagCode::W0601);
  EXPECT_EQ(tl::lint::find_rule("E0201"), std::nullopt);  // not a lint rule
  EXPECT_EQ(tl::lint::find_rule("nope"), std::nullopt);
  EXPECT_GE(tl::lint::all_rules().size(), 15u);
}

TEST(LintRules, SyntaxErrorsGiveNoFindings) {
  auto tree =
      tl::parse(std::make_shared<const tl::SourceFile>(0, "bad.tl", "function f( {\nx := 1\n"));
  ASSERT_TRUE(tree->has_errors());
  EXPECT_TRUE(tl::lint::lint(*tree).empty());
}

TEST(LintRules, WithoutAnalysisOnlySyntacticRulesRun) {
  std::string text = lint_text(cases_dir() / "unused_variable.tl", /*with_analysis=*/false);
  EXPECT_EQ(text, "");
  text = lint_text(cases_dir() / "colon_equal.tl", /*with_analysis=*/false);
  EXPECT_NE(text.find("W0614"), std::string::npos);
}

// fuzz_format: a one-character `#` comment (Python's, which the lexer accepts) made the
// suppression scan take substr(2) of it (std::out_of_range). `#` comments can carry the marker.
TEST(LintRules, OneCharacterCommentsAndHashMarkers) {
  for (const char* text : {"#", "#\n", "x = 1 #", "#tl-lint: allow(", "# tl-lint: allow(\n"}) {
    auto tree = tl::parse(std::make_shared<const tl::SourceFile>(0, "hash.tl", text));
    std::vector<tl::Diagnostic> found;
    EXPECT_NO_THROW(found = tl::lint::lint(*tree)) << text;
    if (std::string_view(text).find("tl-lint") != std::string_view::npos && !tree->has_errors()) {
      ASSERT_EQ(found.size(), 1u) << text;
      EXPECT_EQ(found[0].code, tl::DiagCode::W0615) << text;
    }
  }
}

TEST(LintRules, LongOperatorChainsDoNotRecurse) {
  std::string text = "x = 0.5";
  for (int i = 1; i < 990; ++i) text += " + 0.5";  // the nesting limit counts chains
  text += "\nif x == 1.0 { x = x }\n";
  auto tree = tl::parse(std::make_shared<const tl::SourceFile>(0, "chain.tl", text));
  ASSERT_FALSE(tree->has_errors());
  std::vector<tl::Diagnostic> found = tl::lint::lint(*tree);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].code, tl::DiagCode::W0612);
  EXPECT_EQ(found[1].code, tl::DiagCode::W0611);
}

TEST(LintRules, TheGuideExampleIsClean) {
  EXPECT_EQ(lint_text(fs::path(TL_TESTS_DIR).parent_path() / "docs" / "examples" / "guide.tl"), "");
}

struct Result {
  int status;
  std::string out;
};

Result run(const std::string& args) {
  std::string cmd = std::string(TL_BIN_DIR) + "/tl " + args;
  Result r{-1, {}};
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

TEST(LintCli, JsonFindingsAndExitCodes) {
  Result r =
      run("lint --format=json " + (cases_dir() / "colon_equal.tl").string() + " 2>/dev/null");
  EXPECT_EQ(r.status, 1);
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["code"], "W0614");
  EXPECT_EQ(j[0]["rule"], "colon_equal");
  EXPECT_EQ(j[0]["severity"], "warning");
  EXPECT_EQ(j[0]["line"], 2);
  EXPECT_EQ(j[0]["fixits"].size(), 2u);

  r = run("lint " + (cases_dir() / "unused_function_library.tl").string() + " 2>&1");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "");

  r = run("lint " + (cases_dir() / "function_keyword.tl").string() + " 2>&1");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("function_keyword.tl:2:1: warning[W0607]"), std::string::npos) << r.out;

  EXPECT_EQ(run("lint --format=xml x.tl 2>/dev/null").status, 2);
  EXPECT_EQ(run("lint 2>/dev/null").status, 2);
  EXPECT_EQ(run("lint --help >/dev/null").status, 0);
}

}  // namespace
