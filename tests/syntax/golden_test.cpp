// File-driven golden tests: every cases/NAME.tl is parsed and compared with cases/NAME.expected.
//
// NAME.expected holds, in order:
//   - expected diagnostics, one per line: `LINE:COL: CODE: words...` — the position and code must
//     match exactly and every word must occur in the message (so wording can improve);
//     no such lines means "no diagnostics";
//   - optionally a line `---` followed by the exact AST dump (ast::dump, ranges off).
// Lines starting with '#' are comments. Adding a case needs no C++.
// TL_UPDATE_GOLDEN=1 rewrites the .expected files from the current output (review the diff!).
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/syntax/parser.h"

namespace tl {
namespace {

namespace fs = std::filesystem;

fs::path cases_dir() {
  return fs::path(TL_TESTS_DIR) / "syntax" / "cases";
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(cases_dir()))
    if (e.path().extension() == ".tl") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Expected {
  std::vector<std::string> diags;
  bool has_ast = false;
  std::string ast;
};

Expected parse_expected(const std::string& text) {
  Expected e;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line == "---") {
      e.has_ast = true;
      std::ostringstream rest;
      rest << in.rdbuf();
      e.ast = rest.str();
      break;
    }
    if (line.empty() || line[0] == '#') continue;
    e.diags.push_back(line);
  }
  return e;
}

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> words;
  std::istringstream in{std::string(s)};
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

class Golden : public testing::TestWithParam<std::string> {};

TEST_P(Golden, Matches) {
  const std::string name = GetParam();
  fs::path tl_path = cases_dir() / (name + ".tl");
  fs::path expected_path = cases_dir() / (name + ".expected");
  SourceManager sm;
  auto file = sm.add(name + ".tl", read(tl_path));
  auto tree = parse(file);
  std::vector<std::string> actual;
  for (const Diagnostic& d : tree->diagnostics()) {
    LineColumn p = file->position(d.range.begin);
    actual.push_back(
        fmt::format("{}:{}: {}: {}", p.line, p.column, diag_info(d.code).id, d.message));
  }
  std::string ast = ast::dump(*tree);

  if (std::getenv("TL_UPDATE_GOLDEN")) {
    Expected old = fs::exists(expected_path) ? parse_expected(read(expected_path)) : Expected{};
    std::ofstream out(expected_path, std::ios::binary);
    for (const auto& a : actual) out << a << "\n";
    if (old.has_ast || actual.empty()) out << "---\n" << ast;
    return;
  }
  ASSERT_TRUE(fs::exists(expected_path)) << expected_path;
  Expected want = parse_expected(read(expected_path));
  ASSERT_EQ(actual.size(), want.diags.size()) << "diagnostics of " << name << ":\n"
                                              << fmt::format("{}", fmt::join(actual, "\n"));
  for (size_t i = 0; i < actual.size(); ++i) {
    // "L:C: CODE: words": compare "L:C: CODE:" exactly, then the words as substrings.
    const std::string& w = want.diags[i];
    size_t third = w.find(": ", w.find(": ") + 2);
    ASSERT_NE(third, std::string::npos) << "bad expected line: " << w;
    std::string head = w.substr(0, third + 1);
    EXPECT_EQ(actual[i].substr(0, head.size()), head) << "actual: " << actual[i];
    std::string message = actual[i].substr(std::min(actual[i].size(), head.size()));
    for (const std::string& word : split_words(std::string_view(w).substr(third + 2))) {
      EXPECT_NE(message.find(word), std::string::npos)
          << "'" << word << "' missing from: " << actual[i];
    }
  }
  if (want.has_ast) {
    EXPECT_EQ(ast, want.ast);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, Golden, testing::ValuesIn(case_names()),
                         [](const testing::TestParamInfo<std::string>& i) { return i.param; });

TEST(GoldenCorpus, HasEnoughCases) {
  EXPECT_GE(case_names().size(), 40u);
}

}  // namespace
}  // namespace tl
