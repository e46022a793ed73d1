// The checker's analysis (compiler/sema): type/shape diagnostics with notes, hover types and
// shapes, scope-aware completion (model tensor names and property paths from file headers),
// signature help, definition (into imported files), references, rename, document symbols from
// the checker's declarations, inlay hints and did-you-mean quick fixes. The linter's findings
// (formatter/lint.h, the call `tl lint` makes) are published beside the checker's, with their
// fix-its as quick fixes. Parsing, semantic tokens and folding come from the SyntaxAnalysis it
// derives from.
//
// Every answer comes from tl_sema's results (types by Expr::id, the symbol table with its uses
// and scopes, call bindings, diagnostics with fix-its); nothing here re-derives a type.
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>

#include "compiler/sema/sema.h"
#include "lsp/syntax_analysis.h"
#include "vm/model/model.h"

namespace tl::lsp {

// One model-header cache for the whole session (path + size + mtime: a file changed on disk is
// re-read; tensor data is never touched). ModelHeaderCache is not thread-safe, so every use goes
// through `mu` (analyses run on the debounce worker and the request thread).
struct SharedModelHeaders {
  std::mutex mu;
  std::shared_ptr<ModelHeaderCache> cache = std::make_shared<ModelHeaderCache>();
  // The header of `h`'s file as it is now on disk (`h` itself when it cannot be re-read).
  std::shared_ptr<const ModelHeader> refresh(const std::shared_ptr<const ModelHeader>& h);
};

class CheckedAnalysis : public SyntaxAnalysis {
 public:
  CheckedAnalysis(DocumentSnapshot doc, std::unique_ptr<SourceManager> sources,
                  std::shared_ptr<const SourceFile> file,
                  std::shared_ptr<SharedModelHeaders> headers);
  ~CheckedAnalysis() override;

  std::vector<Diagnostic> diagnostics() const override;
  std::vector<DocumentSymbol> symbols() const override;
  std::vector<SemanticToken> semantic_tokens() const override;
  std::optional<HoverInfo> hover(size_t offset) const override;
  std::vector<CompletionItem> completion(size_t offset) const override;
  std::vector<Location> definition(size_t offset) const override;
  std::vector<Location> references(size_t offset, bool include_declaration) const override;
  std::optional<std::vector<Location>> rename_ranges(size_t offset) const override;
  std::optional<std::string> rename_error(std::string_view name) const override;
  std::optional<SignatureInfo> signature_help(size_t offset) const override;
  std::vector<InlayHint> inlay_hints(TextRange visible) const override;
  std::vector<CodeAction> code_actions(TextRange range) const override;
  std::optional<std::string> formatted() const override;
  std::vector<DocumentLink> document_links() const override;
  std::vector<TextRange> selection_ranges(size_t offset) const override;
  std::optional<SymbolKey> symbol_key(size_t offset) const override;
  std::vector<Location> occurrences(const SymbolKey& key) const override;
  std::vector<std::string> dependencies() const override;

  const sema::Analysis& checked() const { return *sema_; }

 private:
  // One published diagnostic: the parser's, the checker's, or the linter's.
  struct Published {
    const tl::Diagnostic* diag = nullptr;
    bool lint = false;
    // A lint finding dropped as a restatement of this checker diagnostic: its fix-its are offered.
    const tl::Diagnostic* restated = nullptr;
  };
  void publish_lint();
  const std::vector<tl::FixIt>& fixits(const Published& p) const;
  SourceRange range_of(const Published& p) const;
  Location location(SourceRange r) const;  // uri empty for this document
  SymbolKey key_of(sema::SymbolId s) const;
  // The symbol named `name` visible at `offset` (innermost scope), or kNoSymbol.
  sema::SymbolId visible_symbol(std::string_view name, size_t offset) const;
  bool in_function(size_t offset) const;  // inside a function declaration of this file
  // The type of the expression that ends at `end` (e.g. before a '.'), via the tree, else by name.
  sema::Type type_ending_at(size_t end) const;
  std::shared_ptr<const ModelHeader> current_header(const sema::Type& model) const;
  std::optional<HoverInfo> size_variable_hover(sema::SymbolId s, TextRange word) const;
  std::string by_call(const std::vector<sema::SpecializedType>& types,
                      const sema::Type& generic) const;
  std::optional<HoverInfo> hover_string(const ast::StringLit* lit,
                                        const std::vector<const ast::Node*>& path) const;
  std::vector<CompletionItem> tensor_name_completion(size_t offset, bool* handled) const;
  std::vector<CompletionItem> member_completion(size_t offset, bool* handled) const;

  std::unique_ptr<SourceManager> sources_;
  std::shared_ptr<SharedModelHeaders> headers_;
  std::unique_ptr<sema::AnalysisContext> ctx_;
  std::unique_ptr<sema::Analysis> sema_;  // refers to the tree and ctx_'s imports: declared last
  std::unordered_map<uint32_t, sema::SymbolId> declared_at_;  // name offset -> local symbol
  // Every symbol of each name (views into sema_'s symbol names), for scope lookups.
  std::unordered_map<std::string_view, std::vector<sema::SymbolId>> by_name_;
  std::vector<TextRange> function_ranges_;  // this file's functions, in source order
  std::string canonical_path_;              // of this document (empty: not a file)
  std::vector<tl::Diagnostic> lint_;  // the linter's findings (settings.lint, no syntax errors)
  // What diagnostics() publishes, in order (diagnostic indexes of code actions refer to it).
  std::vector<Published> published_;
};

class CheckedAnalyzer : public Analyzer {
 public:
  std::shared_ptr<const Analysis> analyze(const DocumentSnapshot& doc) const override;
  Features features() const override;

 private:
  std::shared_ptr<SharedModelHeaders> headers_ = std::make_shared<SharedModelHeaders>();
};

// "file:///a%20b/c.tl" for "/a b/c.tl".
std::string path_to_uri(std::string_view path);

}  // namespace tl::lsp
