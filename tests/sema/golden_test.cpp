// Golden checker tests. Each tests/sema/cases/*.tl names the diagnostics it must produce in
// comment lines
//   // expect: LINE:COL CODE key words...
// (key words: case-insensitive substrings of the message). Every diagnostic the file produces
// (syntax and checker, warnings included) must be expected, and every expectation met: a file
// without expectations must check clean. The guide's programs (every translation's
// ```tensorlogic blocks, joined) must check clean against the model files in tests/acceptance.
// A case with a line `// args: WORD...` is checked with those program arguments (args(), as
// `tl check FILE ARGS...`), and must also check without errors when no arguments are given.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"

namespace tl::sema {
namespace {

namespace fs = std::filesystem;

struct Expectation {
  uint32_t line, column;
  std::string code;
  std::vector<std::string> words;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::vector<Expectation> expectations(const std::string& text) {
  std::vector<Expectation> out;
  static const std::regex re(R"(//\s*expect:\s*(\d+):(\d+)\s+([EWN]\d{4})(.*))");
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, re)) continue;
    Expectation e{
        static_cast<uint32_t>(std::stoul(m[1])), static_cast<uint32_t>(std::stoul(m[2])), m[3], {}};
    std::istringstream words(m[4]);
    std::string w;
    while (words >> w) e.words.push_back(lower(w));
    out.push_back(std::move(e));
  }
  return out;
}

std::string read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// The words of a `// args: ...` line, if the text has one.
std::optional<std::vector<std::string>> program_args(const std::string& text) {
  static const std::regex re(R"(//\s*args:(.*))");
  std::smatch m;
  if (!std::regex_search(text, m, re)) return std::nullopt;
  std::vector<std::string> out;
  std::istringstream words(m[1]);
  std::string w;
  while (words >> w) out.push_back(w);
  return out;
}

// Checks `text` as the file `path`; compares with the expectations in the text.
void check_program(const std::string& path, const std::string& text) {
  SourceManager sources;
  AnalysisContext ctx(sources);
  auto file = sources.add(path, text);
  auto tree = parse(file);
  AnalysisOptions options;
  options.program_args = program_args(text);
  if (options.program_args) {
    // Without the arguments the checker knows nothing of the model: no errors.
    auto without = analyze(*tree, ctx);
    for (const Diagnostic& d : without->diagnostics)
      EXPECT_NE(d.severity, Severity::Error) << path << " without args: " << d.message;
  }
  auto analysis = analyze(*tree, ctx, options);
  std::vector<Diagnostic> all = tree->diagnostics();
  all.insert(all.end(), analysis->diagnostics.begin(), analysis->diagnostics.end());
  auto expected = expectations(text);
  std::vector<bool> met(expected.size(), false);
  std::string report;
  for (const Diagnostic& d : all) {
    LineColumn lc = sources.position(d.range);
    std::string code(diag_info(d.code).id);
    std::string msg = lower(d.message);
    for (const DiagNote& n : d.notes) msg += " | " + lower(n.message);
    bool matched = false;
    for (size_t i = 0; i < expected.size() && !matched; ++i) {
      const Expectation& e = expected[i];
      if (met[i] || e.line != lc.line || e.column != lc.column || e.code != code) continue;
      bool words = std::all_of(e.words.begin(), e.words.end(), [&](const std::string& w) {
        return msg.find(w) != std::string::npos;
      });
      if (words) met[i] = matched = true;
    }
    if (!matched)
      report += "unexpected: " + std::to_string(lc.line) + ":" + std::to_string(lc.column) + " " +
                code + " " + d.message + "\n";
  }
  for (size_t i = 0; i < expected.size(); ++i)
    if (!met[i]) {
      std::string words;
      for (const auto& w : expected[i].words) words += " " + w;
      report += "missing: " + std::to_string(expected[i].line) + ":" +
                std::to_string(expected[i].column) + " " + expected[i].code + words + "\n";
    }
  EXPECT_TRUE(report.empty()) << path << "\n" << report;
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(TL_TESTS_DIR) / "sema" / "cases"))
    if (e.path().extension() == ".tl") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, Diagnostics) {
  fs::path p = fs::path(TL_TESTS_DIR) / "sema" / "cases" / (GetParam() + ".tl");
  check_program(p.string(), read(p));
}

INSTANTIATE_TEST_SUITE_P(Cases, Golden, ::testing::ValuesIn(case_names()),
                         [](const auto& param_info) { return param_info.param; });

// The guide: every ```tensorlogic block of a translation, joined in order, as one program next to
// the guide's model files.
std::string joined_guide_blocks(const fs::path& md) {
  std::istringstream in(read(md));
  std::string line, out;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line.rfind("```tensorlogic", 0) == 0) {
      inside = true;
      continue;
    }
    if (inside && line.rfind("```", 0) == 0) {
      inside = false;
      out += "\n";
      continue;
    }
    if (inside) out += line + "\n";
  }
  return out;
}

class Guide : public ::testing::TestWithParam<std::string> {};

TEST_P(Guide, JoinedBlocksCheckClean) {
  fs::path dir = fs::path(TL_TESTS_DIR) / "acceptance";
  std::string program = joined_guide_blocks(dir / ("guide." + GetParam() + ".md"));
  ASSERT_NE(program.find("load_model"), std::string::npos);
  check_program((dir / "models" / ("guide_" + GetParam() + ".tl")).string(), program);
}

INSTANTIATE_TEST_SUITE_P(Translations, Guide, ::testing::Values("ja", "ko", "ru", "de", "fr"));

TEST(GuideExample, DocsExampleChecksClean) {
  fs::path p = fs::path(TL_TESTS_DIR) / ".." / "docs" / "examples" / "guide.tl";
  check_program(p.string(), read(p));
}

}  // namespace
}  // namespace tl::sema
