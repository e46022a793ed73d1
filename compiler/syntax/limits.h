// The limits every tool applies to source text, in one place so that `tl check`, `tl run`,
// `tl compile`, `tl fmt`, `tl lint` and `tl-lsp` accept and refuse the same programs
// (docs/cli.md, "Limits").
#pragma once

#include <cstddef>

namespace tl {

// The largest source file read (16 MiB); a larger one is refused with an error, never read whole.
inline constexpr size_t kMaxSourceBytes = size_t{16} << 20;

// The deepest syntax tree the parser builds: nested brackets, calls, indexing, unary operators and
// operator chains (`a + b + ...` nests to the left) all count. The parser reports E0108 at the
// first construct past it, so no later pass (checker, codegen, formatter, LSP) ever walks deeper;
// every recursive walk is sized for it (tests/syntax/deep_nesting_test.sh runs each tool at it).
inline constexpr int kMaxNestingDepth = 1000;

}  // namespace tl
