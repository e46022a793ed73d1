// The analysis the parser gives (compiler/syntax): syntax diagnostics, document symbols,
// semantic tokens, folding ranges, names declared in the file for completion, hover on declared
// functions, and a scope-approximate go-to-definition. Builtins and keywords come from the
// LexicalAnalysis base. The checker's analysis wraps or derives from this one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compiler/syntax/ast.h"
#include "lsp/lexical_analysis.h"

namespace tl::lsp {

// One name the file declares, for completion, hover and definition.
struct Declared {
  std::string name;
  TextRange name_range;
  TextRange scope;  // where the name is visible (the file, or a function's range)
  CompletionKind kind = CompletionKind::kVariable;
  std::string detail;  // declaration header as written: "fn forward(...) -> ..." / "let x: T"
};

class SyntaxAnalysis : public LexicalAnalysis {
 public:
  explicit SyntaxAnalysis(DocumentSnapshot doc);
  // Parses `file` (whose text is the snapshot's), e.g. one a checker's SourceManager owns.
  SyntaxAnalysis(DocumentSnapshot doc, std::shared_ptr<const SourceFile> file);

  std::vector<Diagnostic> diagnostics() const override;
  std::vector<DocumentSymbol> symbols() const override;
  std::vector<SemanticToken> semantic_tokens() const override;
  std::vector<FoldingRange> folding_ranges() const override;
  std::optional<HoverInfo> hover(size_t offset) const override;
  std::vector<CompletionItem> completion(size_t offset) const override;
  std::vector<Location> definition(size_t offset) const override;

  // For layers above (the checker): the parsed tree and the declarations found.
  const ast::SyntaxTree& tree() const { return *tree_; }
  const std::vector<Declared>& declared() const { return declared_; }
  // The innermost declaration of `name` visible at `offset`, or null.
  const Declared* lookup(std::string_view name, size_t offset) const;

 private:
  void collect_declarations();

  std::unique_ptr<ast::SyntaxTree> tree_;
  std::vector<Declared> declared_;
};

class SyntaxAnalyzer : public Analyzer {
 public:
  std::shared_ptr<const Analysis> analyze(const DocumentSnapshot& doc) const override {
    return std::make_shared<SyntaxAnalysis>(doc);
  }
  Features features() const override { return {.definition = true, .signature_help = true}; }
};

}  // namespace tl::lsp
