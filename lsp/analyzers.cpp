#include "lsp/analyzers.h"

#include "lsp/checked_analysis.h"

namespace tl::lsp {
// The checker's analysis (compiler/sema) on top of the parser's (SyntaxAnalysis).
std::unique_ptr<Analyzer> make_default_analyzer() {
  return std::make_unique<CheckedAnalyzer>();
}
}  // namespace tl::lsp
