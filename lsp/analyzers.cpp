#include "lsp/analyzers.h"

#include "lsp/syntax_analysis.h"

namespace tl::lsp {
// The checker's analyzer replaces this line (wrapping SyntaxAnalyzer) when it lands.
std::unique_ptr<Analyzer> make_default_analyzer() {
  return std::make_unique<SyntaxAnalyzer>();
}
}  // namespace tl::lsp
