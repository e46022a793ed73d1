// tl_format's linter: likely mistakes and non-canonical spellings in one parsed file, as
// diagnostics (W06xx codes of compiler/syntax/diagnostics.def, one entry each in docs/lint.md).
// The `tl lint` command and the LSP server both call lint(), so they report the same findings.
//
//   auto tree = parse(file);
//   auto analysis = sema::analyze(*tree, context);   // optional: enables the scope rules
//   std::vector<Diagnostic> found = lint::lint(*tree, analysis.get(), &sources);
//
// Syntactic rules need only the tree. The scope rules (unused names, shadowing, `x = e`
// declarations) and the typed half of float_equality read the checker's symbol table; without an
// analysis they are skipped. A tree with syntax errors gets no lint findings (fix those first).
// Findings are suppressed by a `// tl-lint: allow(RULE, ...)` comment (rule id such as W0601 or
// name such as unused_variable) on the finding's line, or on the line of (or the own line just
// before) a statement or declaration that contains it.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "compiler/syntax/ast.h"
#include "compiler/syntax/diagnostics.h"

namespace tl::sema {
class Analysis;
}

namespace tl::lint {

// Every lint rule, in table order (the W06xx codes of diagnostics.def).
const std::vector<DiagCode>& all_rules();
// "W0601" or "unused_variable" -> the rule; nullopt when no lint rule has that id or name.
std::optional<DiagCode> find_rule(std::string_view id_or_name);

// Lints `tree`; `analysis` (may be null) is the checker's result for the same tree, and
// `sources` (may be null) the SourceManager it loaded imported files into (for unused_import).
// Findings are sorted by position.
std::vector<Diagnostic> lint(const ast::SyntaxTree& tree, const sema::Analysis* analysis = nullptr,
                             const SourceManager* sources = nullptr);

}  // namespace tl::lint
