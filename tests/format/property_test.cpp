// The formatter's two properties, idempotence and meaning preservation (meaning_dump equal before
// and after: AST without ranges and every comment in order), over
//  - every .tl file in the repository (globbed when the test runs) and every ```tensorlogic block
//    of the guide in its five translations;
//  - generated programs (program_generator.h) with comments and odd spacing everywhere.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "tests/format/format_test_util.h"
#include "tests/format/program_generator.h"

namespace fs = std::filesystem;
using namespace tl::format::testing;

namespace {

bool skipped_dir(const fs::path& p) {
  std::string n = p.filename().string();
  return n.starts_with("build") || n.starts_with(".") || n == "node_modules";
}

std::vector<fs::path> repo_tl_files() {
  std::vector<fs::path> out;
  fs::path root = fs::path(TL_TESTS_DIR).parent_path();
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->is_directory() && skipped_dir(it->path())) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && it->path().extension() == ".tl") out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> guide_blocks() {
  std::vector<std::string> out;
  fs::path dir = fs::path(TL_TESTS_DIR) / "acceptance";
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".md") continue;
    std::string text = read_file(e.path());
    size_t i = 0;
    while ((i = text.find("```tensorlogic\n", i)) != std::string::npos) {
      i += 15;
      size_t end = text.find("```", i);
      if (end == std::string::npos) break;
      out.push_back(text.substr(i, end - i));
      i = end + 3;
    }
  }
  return out;
}

TEST(FormatProperties, EveryTlFileInTheRepository) {
  std::vector<fs::path> files = repo_tl_files();
  ASSERT_FALSE(files.empty());
  int formatted = 0;
  for (const fs::path& p : files) {
    std::string text = read_file(p);
    auto file = std::make_shared<const tl::SourceFile>(0, p.string(), text);
    tl::format::FormatResult r = tl::format::format_file(file);
    if (parse_text(text)->has_errors()) {
      // Files with syntax errors (parser tests) are refused, never changed.
      EXPECT_FALSE(r.ok) << p;
      EXPECT_TRUE(r.internal_error.empty()) << p;
      continue;
    }
    EXPECT_TRUE(r.ok) << p << ": " << r.internal_error;
    EXPECT_EQ(check_properties(text, p.string()), "") << p;
    ++formatted;
  }
  EXPECT_GT(formatted, 0);
}

TEST(FormatProperties, EveryGuideBlock) {
  std::vector<std::string> blocks = guide_blocks();
  for (size_t i = 0; i < blocks.size(); ++i)
    EXPECT_EQ(check_properties(blocks[i], "guide block"), "") << blocks[i];
}

TEST(FormatProperties, GeneratedPrograms) {
  for (uint32_t seed = 1; seed <= 400; ++seed) {
    std::string program = ProgramGenerator(seed).program(12);
    auto tree = parse_text(program);
    ASSERT_FALSE(tree->has_errors()) << "generator bug, seed " << seed << ":\n" << program;
    std::string name = "seed ";
    name += std::to_string(seed);
    std::string failure = check_properties(program, name);
    if (!failure.empty()) {
      if (const char* dump = std::getenv("TL_DUMP_FAILING_PROGRAM")) write_file(dump, program);
      FAIL() << "seed " << seed << ": " << failure << "\nprogram:\n" << program;
    }
  }
}

TEST(FormatProperties, SameMeaningAgreesWithTheDumps) {
  // The fast check used by format_file must say exactly what comparing meaning_dump says.
  for (uint32_t seed = 1; seed <= 100; ++seed) {
    auto a = parse_text(ProgramGenerator(seed).program(8));
    auto formatted = parse_text(tl::format::format_tree(*a));
    EXPECT_TRUE(tl::format::same_meaning(*a, *formatted)) << seed;
    auto b = parse_text(ProgramGenerator(seed + 1000).program(8));
    EXPECT_EQ(tl::format::same_meaning(*a, *b),
              tl::format::meaning_dump(*a) == tl::format::meaning_dump(*b))
        << seed;
  }
  // Small differences the encoding must see.
  const char* pairs[][2] = {
      {"x[1:]", "x[:1]"},
      {"f(a: 1)", "f(b: 1)"},
      {"let x = 1", "let y = 1"},
      {"let x = 1.0", "let x = 1.00"},
      {"x = 1 // a", "x = 1 // b"},
      {"x = 1", "x = 1 // c"},
      {"fn f(a) {}", "fn f(a: int) {}"},
      {"x = -a", "x = !a"},
      {"x = a + b", "x = a - b"},
  };
  for (auto& p : pairs) {
    auto a = parse_text(p[0]);
    auto b = parse_text(p[1]);
    EXPECT_FALSE(tl::format::same_meaning(*a, *b)) << p[0] << " vs " << p[1];
  }
  auto a = parse_text("function f(x) { y := x }\n");
  auto b = parse_text("fn f(x) {\n    let y = x\n}\n");
  EXPECT_TRUE(tl::format::same_meaning(*a, *b));
}

TEST(FormatProperties, LongOperatorChainsDoNotRecurse) {
  // `a + a + ...` nests to the left as deep as it is long; chains count towards the nesting limit
  // (compiler/syntax/limits.h), so the longest chain the parser accepts must format.
  std::string text = "x = a";
  for (int i = 1; i < 990; ++i) text += " + a";
  text += "\n";
  auto file = std::make_shared<const tl::SourceFile>(0, "chain.tl", text);
  tl::format::FormatResult r = tl::format::format_file(file, /*verify=*/true);
  ASSERT_TRUE(r.ok) << r.internal_error;
  EXPECT_EQ(r.text, text);
}

TEST(FormatProperties, NarrowAndDeepPrograms) {
  // Deep nesting: parenthesised and bracketed 200 levels deep still formats (and stays linear).
  std::string deep = "let x = " + std::string(200, '(') + "1" + std::string(200, ')') + "\n";
  EXPECT_EQ(check_properties(deep, "deep parens"), "");
  std::string lists = "let y = " + std::string(150, '[') + "1" + std::string(150, ']') + "\n";
  EXPECT_EQ(check_properties(lists, "deep lists"), "");
  std::string longcall = "print(";
  for (int i = 0; i < 300; ++i)
    longcall += (i ? ", " : "") + std::string("value") + std::to_string(i);
  longcall += ")\n";
  EXPECT_EQ(check_properties(longcall, "long call"), "");
}

}  // namespace
