// The linter's passes (lint.cpp runs them, then applies the `tl-lint: allow` comments).
#pragma once

#include "compiler/syntax/ast.h"
#include "compiler/syntax/diagnostics.h"

namespace tl::sema {
class Analysis;
}

namespace tl::lint {

// Rules that need only the tree (and use the analysis, when there is one, to see types).
void lint_syntax(const ast::SyntaxTree& tree, const sema::Analysis* analysis, DiagnosticSink& out);
// Rules over the checker's symbol table: unused names, shadowing, `x = e` declarations.
// `sources` (may be null) maps imported symbols back to their files, for unused_import.
void lint_scopes(const ast::SyntaxTree& tree, const sema::Analysis& analysis,
                 const SourceManager* sources, DiagnosticSink& out);

// `e` without its parentheses.
const ast::Expr* strip_parens(const ast::Expr* e);

}  // namespace tl::lint
