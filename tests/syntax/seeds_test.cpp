// The guide's ```tensorlogic blocks (tests/syntax/seeds/, copies of the five translations) parse
// with no diagnostics: each block alone, and each translation's blocks joined in order.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/syntax/parser.h"

namespace tl {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> tensorlogic_blocks(const std::string& text) {
  std::vector<std::string> blocks;
  const std::string open = "```tensorlogic\n";
  size_t pos = 0;
  while ((pos = text.find(open, pos)) != std::string::npos) {
    size_t begin = pos + open.size();
    size_t end = text.find("```", begin);
    if (end == std::string::npos) break;
    blocks.push_back(text.substr(begin, end - begin));
    pos = end + 3;
  }
  return blocks;
}

std::string describe(const ast::SyntaxTree& tree, const SourceManager& sm) {
  std::string out;
  for (const Diagnostic& d : tree.diagnostics()) out += render_text(d, sm, false);
  return out;
}

std::vector<fs::path> seed_files() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(TL_TESTS_DIR) / "syntax" / "seeds"))
    if (e.path().extension() == ".txt") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(Seeds, FiveTranslations) {
  EXPECT_EQ(seed_files().size(), 5u);
}

TEST(Seeds, EveryBlockAndEveryJoinedTranslationParsesCleanly) {
  for (const fs::path& path : seed_files()) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    std::vector<std::string> blocks = tensorlogic_blocks(s.str());
    ASSERT_EQ(blocks.size(), 7u) << path;  // the guide has seven TL examples
    SourceManager sm;
    std::string joined;
    for (size_t i = 0; i < blocks.size(); ++i) {
      auto tree = parse(sm.add(fmt::format("{}#block{}", path.filename().string(), i), blocks[i]));
      EXPECT_TRUE(tree->diagnostics().empty()) << describe(*tree, sm);
      EXPECT_GT(tree->module()->items.size(), 0u);
      joined += blocks[i];
      joined += "\n";
    }
    auto tree = parse(sm.add(path.filename().string() + "#joined", joined));
    EXPECT_TRUE(tree->diagnostics().empty()) << describe(*tree, sm);
    // Both spellings of the function keyword occur across the translations; both parse to FnDecl.
    int fns = 0;
    ast::walk(tree->module(), [&](const ast::Node* n) {
      if (const auto* f = ast::dyn_cast<ast::FnDecl>(n)) {
        ++fns;
        EXPECT_EQ(f->name, "forward");
        EXPECT_EQ(f->params.size(), 3u);
        EXPECT_NE(f->return_type, nullptr);
      }
      return true;
    });
    EXPECT_EQ(fns, 1) << path;
  }
}

}  // namespace
}  // namespace tl
