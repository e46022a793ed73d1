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
  auto tree = tl::parse(file);
  p->root_ = tree.get();
  std::error_code ec;
  p->by_path_[fs::weakly_canonical(path, ec).string()] = tree.get();
  p->sink_.append(tree->diagnostics());
  p->trees_.push_back(std::move(tree));
  return p;
}

const ast::SyntaxTree* Program::import(const ast::SyntaxTree& from, std::string_view path) {
  const fs::path base = fs::path(from.source().path()).parent_path();
  const fs::path full = base / fs::path(path);
  std::error_code ec;
  const std::string key = fs::weakly_canonical(full, ec).string();
  if (auto it = by_path_.find(key); it != by_path_.end()) return it->second;
  std::string why;
  auto file = sources_.load(full.string(), &why);
  if (!file) {
    by_path_[key] = nullptr;
    return nullptr;  // the checker reports unreadable imports at the import statement
  }
  auto tree = tl::parse(file);
  const ast::SyntaxTree* t = tree.get();
  by_path_[key] = t;
  sink_.append(tree->diagnostics());
  trees_.push_back(std::move(tree));
  return t;
}

bool Program::check() {
  // Semantic analysis (names, types, static shapes) runs here once the checker is built in.
  return !sink_.has_errors();
}

std::optional<Module> Program::compile() {
  if (sink_.has_errors()) return std::nullopt;
  return compile_program(*root_, resolver(), sink_);
}

void Program::print_diagnostics(std::ostream& err, bool color) const {
  for (const Diagnostic& d : sink_.diagnostics()) err << render_text(d, sources_, color);
}

}  // namespace tl::cli
