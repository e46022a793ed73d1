#include "compiler/driver/check.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>

#include "compiler/driver/cli.h"
#include "compiler/driver/frontend.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"

namespace tl::cli {

int check_files(const std::vector<std::string>& paths, const CheckOptions& options,
                std::ostream& out, std::ostream& err) {
  SourceManager sources;
  sema::AnalysisContext context(sources);  // shared: imports and model headers are read once
  std::vector<Diagnostic> all;
  bool unreadable = false;
  for (const std::string& path : paths) {
    std::string why;
    auto file = sources.load(path, &why);
    if (!file) {
      err << fmt::format("tl check: error: {}: {}\n", path, why);
      unreadable = true;
      continue;
    }
    auto tree = tl::parse(file);
    if (options.dump_ast) out << ast::dump(*tree);
    std::vector<Diagnostic> found = tree->diagnostics();
    // Names, types and shapes: run on trees with syntax errors too (error nodes are unknown).
    sema::AnalysisOptions analysis_options;
    analysis_options.program_args = options.program_args;
    auto analysis = sema::analyze(*tree, context, analysis_options);
    found.insert(found.end(), analysis->diagnostics.begin(), analysis->diagnostics.end());
    // A checked program is also lowered to bytecode (and the result dropped), so that a limit of
    // the bytecode compiler (E0701) is reported here as `tl run` and `tl compile` report it.
    if (std::none_of(found.begin(), found.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::Error; })) {
      DiagnosticSink sink;
      compile_program(
          {tree.get(), analysis.get()},
          [&](const ast::SyntaxTree& from, std::string_view p) {
            return import_checked(context, from, p);
          },
          sink);
      found.insert(found.end(), sink.diagnostics().begin(), sink.diagnostics().end());
    }
    found = limit_errors(std::move(found), kErrorsShownPerFile,
                         SourceRange{file->id(), file->size(), file->size()});
    all.insert(all.end(), found.begin(), found.end());
  }
  bool errors = false;
  for (const Diagnostic& d : all) errors |= d.severity == Severity::Error;
  if (options.json) {
    out << render_json(all, sources).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
        << '\n';
  } else {
    for (const Diagnostic& d : all) err << render_text(d, sources, options.color);
  }
  if (unreadable) return kExitUsage;
  return errors ? kExitInputError : kExitOk;
}

}  // namespace tl::cli
