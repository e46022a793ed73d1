// The scope rules (unused names, shadowing, `x = e` declarations) read the checker's symbol
// table (compiler/sema). Until tl_format links tl_sema this pass has nothing to read.
#include "formatter/lint_internal.h"

namespace tl::lint {

void lint_scopes(const ast::SyntaxTree&, const sema::Analysis&, DiagnosticSink&) {}

}  // namespace tl::lint
