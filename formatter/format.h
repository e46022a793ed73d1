// tl_format: the one canonical layout of TL source (`tl fmt`), and the check that formatting kept
// the program's meaning. No options, on purpose (gofmt's habit): the style is documented in
// docs/formatting.md.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/syntax/ast.h"
#include "compiler/syntax/diagnostics.h"
#include "compiler/syntax/source.h"

namespace tl::format {

inline constexpr int kLineWidth = 100;  // columns (UTF-8 code points) a line aims to stay within
inline constexpr int kIndentWidth = 4;  // spaces per block level and per continuation

// Formats a tree that parsed without errors. Deterministic and never fails: every comment of the
// tree appears in the output, in source order.
std::string format_tree(const ast::SyntaxTree& tree);

struct FormatResult {
  // False when the input has syntax errors (`diagnostics` holds them; the input must be left
  // as it is) or when the self-check failed (`internal_error` says how; a formatter bug).
  bool ok = false;
  std::string text;  // the formatted text when ok
  std::vector<Diagnostic> diagnostics;
  std::string internal_error;
  bool changed(std::string_view original) const { return ok && text != original; }
};

// Parses `file` and formats it. With `verify`, the output is parsed again and its meaning_dump()
// compared with the input's: a mismatch returns !ok with `internal_error` instead of a program
// that means something else.
FormatResult format_file(std::shared_ptr<const SourceFile> file, bool verify = true);

// What formatting must keep: the range-free AST dump with the spellings the formatter may change
// (`function`/`fn`, `:=`/`let`) normalised, followed by every comment in order (each line's
// trailing whitespace dropped, which is all the formatter changes in a comment).
std::string meaning_dump(const ast::SyntaxTree& tree);
// meaning_dump(a) == meaning_dump(b), computed without building the dumps (what format_file's
// self-check runs: several times faster on large files).
bool same_meaning(const ast::SyntaxTree& a, const ast::SyntaxTree& b);

// A unified diff (3 lines of context) from `before` to `after`, with `--- name` / `+++ name`
// headers; empty when they are equal.
std::string unified_diff(std::string_view before, std::string_view after, std::string_view name);

// The places where `after` differs from `before`, by lines (each line with its '\n'): each hunk
// replaces lines [a_begin, a_end) of `before` by lines [b_begin, b_end) of `after`. In order, not
// touching each other. Editors apply them as small edits (cursors and marks elsewhere stay).
struct LineHunk {
  size_t a_begin = 0, a_end = 0, b_begin = 0, b_end = 0;
};
std::vector<LineHunk> line_hunks(std::string_view before, std::string_view after);

}  // namespace tl::format
