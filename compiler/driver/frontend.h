// The compiler pipeline as the driver runs it for `tl run` and `tl compile`: load a program and
// the files it imports (each parsed once), check it, lower it to bytecode.
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "compiler/codegen/codegen.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/ast.h"
#include "compiler/syntax/diagnostics.h"

namespace tl::cli {

// The file of `import "path"` written in `from`: the context's copy (each file is parsed and
// analysed once); a null tree when it cannot be read (the checker reports that at the import).
CheckedFile import_checked(sema::AnalysisContext& context, const ast::SyntaxTree& from,
                           std::string_view path);

class Program {
 public:
  // Reads and parses `path`; imports are parsed when codegen or the checker asks for them.
  // Returns nullptr (with `error` set) when the root file cannot be read.
  static std::unique_ptr<Program> load(const std::string& path, std::string* error);

  const ast::SyntaxTree& root() const { return *root_; }
  // The checker's results for the root file (after check()).
  const sema::Analysis* analysis() const { return analysis_.get(); }
  const SourceManager& sources() const { return sources_; }
  ImportResolver resolver() {
    return [this](const ast::SyntaxTree& from, std::string_view p) {
      return import_checked(context_, from, p);
    };
  }

  // Syntax and semantic diagnostics of every loaded file, then what `compile` reported.
  DiagnosticSink& sink() { return sink_; }
  // Runs the checker (names, types, static shapes, model headers). False on errors.
  bool check();
  // Lowers to a verified module (after check()). nullopt when errors were reported.
  std::optional<Module> compile();

  // Prints the collected diagnostics: text with snippets on `err` (colour when a TTY).
  void print_diagnostics(std::ostream& err, bool color) const;

 private:
  Program() = default;

  SourceManager sources_;
  sema::AnalysisContext context_{sources_};  // after sources_: it keeps a reference
  std::unique_ptr<ast::SyntaxTree> root_;
  std::unique_ptr<sema::Analysis> analysis_;
  DiagnosticSink sink_;
};

}  // namespace tl::cli
