// Golden tests: tests/format/cases/NAME.tl formats to NAME.formatted, which is a fixed point.
// TL_UPDATE_GOLDEN=1 rewrites the .formatted files (review the diff before committing).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "tests/format/format_test_util.h"

namespace fs = std::filesystem;
using namespace tl::format::testing;

namespace {

std::vector<fs::path> cases() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fs::path(TL_TESTS_DIR) / "format" / "cases"))
    if (e.path().extension() == ".tl") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(FormatGolden, EveryCaseMatchesItsFormattedFile) {
  std::vector<fs::path> all = cases();
  ASSERT_GE(all.size(), 10u);
  bool update = std::getenv("TL_UPDATE_GOLDEN") != nullptr;
  for (const fs::path& input : all) {
    SCOPED_TRACE(input.filename().string());
    std::string text = read_file(input);
    auto tree = parse_text(text, input.string());
    ASSERT_FALSE(tree->has_errors()) << input;
    std::string out = tl::format::format_tree(*tree);
    fs::path golden = fs::path(input).replace_extension(".formatted");
    if (update) write_file(golden, out);
    ASSERT_TRUE(fs::exists(golden)) << "missing " << golden;
    EXPECT_EQ(out, read_file(golden)) << tl::format::unified_diff(read_file(golden), out, "golden");
    EXPECT_EQ(check_properties(text, input.string()), "");
    EXPECT_EQ(check_properties(out, input.string()), "");
  }
}

TEST(FormatGolden, FormattedFilesAreFixedPoints) {
  for (const fs::path& input : cases()) {
    fs::path golden = fs::path(input).replace_extension(".formatted");
    if (!fs::exists(golden)) continue;
    std::string text = read_file(golden);
    auto tree = parse_text(text, golden.string());
    ASSERT_FALSE(tree->has_errors()) << golden;
    EXPECT_EQ(tl::format::format_tree(*tree), text) << golden;
  }
}

TEST(FormatGolden, FileWithSyntaxErrorsIsRefused) {
  auto file = std::make_shared<const tl::SourceFile>(0, "bad.tl", "let x = (1 +\nfn {\n");
  tl::format::FormatResult r = tl::format::format_file(file);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.diagnostics.empty());
  EXPECT_TRUE(r.text.empty());
  EXPECT_FALSE(r.changed(file->text()));
}

TEST(FormatGolden, EmptyAndCommentOnlyFiles) {
  EXPECT_EQ(tl::format::format_tree(*parse_text("")), "");
  EXPECT_EQ(tl::format::format_tree(*parse_text("\n\n  \n")), "");
  EXPECT_EQ(tl::format::format_tree(*parse_text("  // only\n\n\n/* two */  \n")),
            "// only\n\n/* two */\n");
}

TEST(FormatGolden, CrlfInputGivesLfOutput) {
  EXPECT_EQ(tl::format::format_tree(*parse_text("let x = 1 // c\r\nprint(x)\r\n")),
            "let x = 1 // c\nprint(x)\n");
}

}  // namespace
