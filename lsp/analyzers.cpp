#include "lsp/analyzers.h"

#include "lsp/lexical_analysis.h"

namespace tl::lsp {
std::unique_ptr<Analyzer> make_default_analyzer() {
  return std::make_unique<LexicalAnalyzer>();
}
}  // namespace tl::lsp
