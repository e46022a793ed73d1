#include "compiler/driver/frontend.h"

#include <fmt/format.h>

#include <filesystem>

#include "compiler/syntax/parser.h"

namespace tl::cli {

namespace fs = std::filesystem;

std::unique_ptr<Program> Program::load(const std::string& path, std::string* error) {
  auto p = std::unique_ptr<Program>(new Program());
  auto file = p->sources_.load(path, error);
  if (!file) return nullptr;
  p->root_ = tl::parse(file);
  p->sink_.append(p->root_->diagnostics());
  return p;
}

CheckedFile import_checked(sema::AnalysisContext& context, const ast::SyntaxTree& from,
                           std::string_view path) {
  const fs::path full = fs::path(from.source().path()).parent_path() / fs::path(path);
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(full, ec);
  std::string error;
  bool cycle = false;
  auto* imported = context.import_file(ec ? full : canonical, {}, &error, &cycle);
  if (!imported) return {};
  return {imported->tree.get(), imported->analysis.get()};
}

bool Program::check() {
  // Runs on trees with syntax errors too: error nodes have unknown types, so the checker still
  // reports what it can.
  analysis_ = sema::analyze(*root_, context_);
  sink_.append(analysis_->diagnostics);
  return !sink_.has_errors();
}

std::optional<Module> Program::compile() {
  if (sink_.has_errors()) return std::nullopt;
  if (!analysis_) check();
  if (sink_.has_errors()) return std::nullopt;
  return compile_program({root_.get(), analysis_.get()}, resolver(), sink_);
}

void Program::print_diagnostics(std::ostream& err, bool color) const {
  const SourceFile& f = root_->source();
  for (const Diagnostic& d : limit_errors(sink_.diagnostics(), kErrorsShownPerFile,
                                          SourceRange{f.id(), f.size(), f.size()}))
    err << render_text(d, sources_, color);
}

}  // namespace tl::cli
