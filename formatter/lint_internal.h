// The linter's passes (lint.cpp runs them, then applies the `tl-lint: allow` comments).
#pragma once

#include <vector>

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

// Pre-order walk with an explicit stack: `enter(n)` (return false to skip n's children), then
// the children, then `leave(n)`. No recursion: `a + b + c + ...` nests as deep as it is long.
template <class Enter, class Leave>
void traverse(const ast::Node* root, Enter&& enter, Leave&& leave) {
  struct Item {
    const ast::Node* node;
    bool leaving;
  };
  std::vector<Item> stack{{root, false}};
  std::vector<const ast::Node*> kids;
  while (!stack.empty()) {
    Item it = stack.back();
    stack.pop_back();
    if (it.leaving) {
      leave(it.node);
      continue;
    }
    if (!enter(it.node)) continue;
    stack.push_back({it.node, true});
    kids.clear();
    ast::for_each_child(it.node, [&](const ast::Node* c) { kids.push_back(c); });
    for (auto k = kids.rbegin(); k != kids.rend(); ++k) stack.push_back({*k, false});
  }
}
template <class Enter>
void traverse(const ast::Node* root, Enter&& enter) {
  traverse(root, enter, [](const ast::Node*) {});
}

}  // namespace tl::lint
