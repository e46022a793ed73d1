// Lowering of a parsed (and checked) TL program to register bytecode.
//
// The compiler trusts the checker for names and static shapes; what cannot be known statically
// (a model's property path, a '?' dimension, size variables bound at a call) becomes a run-time
// check in the bytecode, carrying the source position of the expression that needs it.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "compiler/sema/sema.h"
#include "compiler/syntax/ast.h"
#include "compiler/syntax/diagnostics.h"
#include "vm/bytecode/module.h"

namespace tl {

// A parsed file and the checker's analysis of it.
struct CheckedFile {
  const ast::SyntaxTree* tree = nullptr;
  const sema::Analysis* analysis = nullptr;
};

// Finds the file of `import "path"` written in `from`; a null tree when it cannot be had (the
// caller has reported why). Each file is parsed and checked once by the caller, which owns it.
using ImportResolver =
    std::function<CheckedFile(const ast::SyntaxTree& from, std::string_view path)>;

// What compile_program emitted, for tests of the contract with the checker.
struct CompileStats {
  size_t runtime_checks_requested = 0;  // in the analyses of the files compiled
  size_t runtime_checks_emitted = 0;    // distinct checks placed in the bytecode
};

// Compiles `root` and the files it imports into a verified Module. Reports what it cannot
// compile (E07xx) into `sink` and returns nullopt when any error was reported.
// The run-time shape checks are exactly the checker's `runtime_checks`: codegen decides none.
std::optional<Module> compile_program(CheckedFile root, const ImportResolver& imports,
                                      DiagnosticSink& sink, CompileStats* stats = nullptr);

}  // namespace tl
