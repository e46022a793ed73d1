// The analysis that needs only the text: keywords and builtins (vm/bytecode/builtins.def) for
// completion, hover and signature help (keywords from compiler/syntax/token.h). Richer analyses
// derive from it and fall back to it.
#pragma once

#include <string_view>

#include "lsp/analysis.h"

namespace tl::lsp {

class LexicalAnalysis : public Analysis {
 public:
  explicit LexicalAnalysis(DocumentSnapshot doc) : doc_(std::move(doc)) {}

  std::optional<HoverInfo> hover(size_t offset) const override;
  std::vector<CompletionItem> completion(size_t offset) const override;
  std::optional<SignatureInfo> signature_help(size_t offset) const override;

 protected:
  const DocumentSnapshot& doc() const { return doc_; }
  std::string_view text() const { return *doc_.text; }
  // The identifier around `offset` (touching it from either side); empty range if none.
  TextRange word_at(size_t offset) const;

 private:
  DocumentSnapshot doc_;
};

class LexicalAnalyzer : public Analyzer {
 public:
  std::shared_ptr<const Analysis> analyze(const DocumentSnapshot& doc) const override {
    return std::make_shared<LexicalAnalysis>(doc);
  }
  Features features() const override { return {.signature_help = true}; }
};

// Markdown for a builtin's hover / completion documentation.
std::string builtin_markdown(std::string_view name);
// Keywords and type names offered by completion.
std::vector<CompletionItem> keyword_completions();
std::vector<CompletionItem> builtin_completions();

}  // namespace tl::lsp
