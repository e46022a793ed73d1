// The TL parser: recursive descent for statements, precedence climbing for expressions.
// Never throws on bad input: syntax errors become diagnostics in the tree plus Error* nodes, and
// parsing resumes at the next statement boundary.
#pragma once

#include <cstdint>
#include <memory>

#include "compiler/syntax/ast.h"
#include "compiler/syntax/limits.h"
#include "compiler/syntax/source.h"

namespace tl {

struct ParseOptions {
  // Deepest nesting of brackets, blocks, operators and chained calls before E0208: the one limit
  // of every tool (compiler/syntax/limits.h). Keeps the parser's recursion, and every later pass
  // that walks the tree, far from any stack limit.
  uint32_t max_depth = kMaxNestingDepth;
  // Errors kept per file (0: all). Random bytes must not produce megabytes of diagnostics.
  uint32_t error_limit = 100;
};

// Lexes and parses `file`. The tree keeps `file` alive.
std::unique_ptr<ast::SyntaxTree> parse(std::shared_ptr<const SourceFile> file,
                                       const ParseOptions& options = {});

}  // namespace tl
