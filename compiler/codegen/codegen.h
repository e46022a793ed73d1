// Lowering of a parsed (and checked) TL program to register bytecode.
//
// The compiler trusts the checker for names and static shapes; what cannot be known statically
// (a model's property path, a '?' dimension, size variables bound at a call) becomes a run-time
// check in the bytecode, carrying the source position of the expression that needs it.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "compiler/syntax/ast.h"
#include "compiler/syntax/diagnostics.h"
#include "vm/bytecode/module.h"

namespace tl {

namespace sema {
class Analysis;
}

// Finds the tree of `import "path"` written in `from`; nullptr when it cannot be had (the caller
// has reported why). Each file is parsed once by the caller, which owns the trees.
using ImportResolver =
    std::function<const ast::SyntaxTree*(const ast::SyntaxTree& from, std::string_view path)>;

// The checker's results for a tree (root or import); nullptr when there are none. With them
// codegen fuses element-wise chains whose shapes the checker proved (see docs/compiler.md).
using AnalysisLookup = std::function<const sema::Analysis*(const ast::SyntaxTree& tree)>;

// Compiles `root` and the files it imports into a verified Module. Reports what it cannot
// compile (E07xx) into `sink` and returns nullopt when any error was reported.
std::optional<Module> compile_program(const ast::SyntaxTree& root, const ImportResolver& imports,
                                      DiagnosticSink& sink, const AnalysisLookup& analyses = {});

}  // namespace tl
