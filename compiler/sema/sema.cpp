#include "compiler/sema/sema.h"

#include <fmt/format.h>

#include <algorithm>

#include "compiler/sema/checker.h"
#include "compiler/syntax/parser.h"
#include "vm/model/model.h"

namespace tl::sema {

std::string_view symbol_kind_name(SymbolKind k) {
  switch (k) {
    case SymbolKind::Variable:
      return "variable";
    case SymbolKind::Parameter:
      return "parameter";
    case SymbolKind::LoopVariable:
      return "loop variable";
    case SymbolKind::Function:
      return "function";
    case SymbolKind::Tensor:
      return "tensor";
    case SymbolKind::SizeVariable:
      return "size variable";
  }
  return "variable";
}

bool Analysis::has_errors() const {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

const CallInfo* Analysis::call_info(const ast::Expr* e) const {
  uint32_t i = expr_call[e->id];
  return i < calls.size() ? &calls[i] : nullptr;
}

const ast::Expr* Analysis::expr_at(uint32_t offset) const {
  // An explicit stack: operator chains may be far deeper than the call stack allows.
  const ast::Expr* best = nullptr;
  std::vector<const ast::Node*> stack{tree_->module()};
  while (!stack.empty()) {
    const ast::Node* n = stack.back();
    stack.pop_back();
    bool inside = n->range.begin <= offset && offset < n->range.end;
    if (!inside && !(n->range.begin == offset && n->range.end == offset)) continue;
    if (const auto* e = ast::dyn_cast<ast::Expr>(n)) {
      if (!best || (e->range.size() <= best->range.size())) best = e;
    }
    ast::for_each_child(n, [&](const ast::Node* c) { stack.push_back(c); });
  }
  return best;
}

SymbolId Analysis::symbol_at(uint32_t offset) const {
  FileId file = tree_->source().id();
  for (const Reference& r : references)
    if (r.range.file == file && r.range.contains(offset)) return r.symbol;
  for (SymbolId s = 0; s < symbols.size(); ++s)
    if (!symbols[s].imported && symbols[s].name_range.file == file &&
        symbols[s].name_range.contains(offset))
      return s;
  return kNoSymbol;
}

std::vector<SourceRange> Analysis::references_to(SymbolId s) const {
  std::vector<SourceRange> out;
  for (const Reference& r : references)
    if (r.symbol == s) out.push_back(r.range);
  std::sort(out.begin(), out.end(),
            [](const SourceRange& a, const SourceRange& b) { return a.begin < b.begin; });
  return out;
}

std::string Analysis::hover(uint32_t offset) const {
  SymbolId s = symbol_at(offset);
  const ast::Expr* e = expr_at(offset);
  if (e) {
    if (const auto* call = ast::dyn_cast<ast::Call>(e)) {
      const CallInfo* ci = call_info(call);
      std::string text = fmt::format("{}", expr_types[e->id].to_string());
      if (ci && ci->callee == CallInfo::Callee::Function) {
        text = fmt::format("{}(...) -> {}", symbols[functions[ci->function].symbol].name,
                           expr_types[e->id].to_string());
        for (size_t i = 0; i < ci->bindings.size(); ++i)
          text += fmt::format("{}{} = {}", i ? ", " : " with ", ci->bindings[i].name,
                              ci->bindings[i].value.to_string());
      } else if (ci && ci->callee == CallInfo::Callee::Builtin) {
        text =
            fmt::format("{}{} -> {}", builtin_info(ci->builtin).name,
                        builtin_info(ci->builtin)
                            .signature.substr(0, builtin_info(ci->builtin).signature.find(" ->")),
                        expr_types[e->id].to_string());
      }
      return text;
    }
  }
  if (s != kNoSymbol) {
    const Symbol& sym = symbols[s];
    if (sym.kind == SymbolKind::Function) {
      const FunctionInfo& f = functions[sym.function];
      std::string params;
      for (size_t i = 0; i < f.params.size(); ++i)
        params += fmt::format("{}{}: {}", i ? ", " : "", f.param_names[i], f.params[i].to_string());
      return fmt::format("fn {}({}) -> {}", sym.name, params, f.result.to_string());
    }
    const Type& t = e && expr_symbol[e->id] == s ? expr_types[e->id] : sym.type;
    return fmt::format("{} {}: {}", symbol_kind_name(sym.kind), sym.name, t.to_string());
  }
  if (e) return expr_types[e->id].to_string();
  return {};
}

// --- context ------------------------------------------------------------------------------------

AnalysisContext::AnalysisContext(SourceManager& sources)
    : sources_(sources), headers_(std::make_shared<ModelHeaderCache>()) {}
AnalysisContext::AnalysisContext(SourceManager& sources, std::shared_ptr<ModelHeaderCache> headers)
    : sources_(sources), headers_(std::move(headers)) {}
AnalysisContext::~AnalysisContext() = default;

AnalysisContext::Imported* AnalysisContext::import_file(const std::filesystem::path& canonical,
                                                        const AnalysisOptions& options,
                                                        std::string* error, bool* cycle) {
  const std::string key = canonical.string();
  *cycle = std::find(import_stack.begin(), import_stack.end(), key) != import_stack.end();
  auto it = imports_.find(key);
  if (it != imports_.end()) {
    *cycle |= it->second->in_progress;
    return *cycle ? nullptr : it->second.get();
  }
  if (*cycle) return nullptr;
  const std::string* buffer = nullptr;
  if (open_files)
    if (auto o = open_files->find(key); o != open_files->end() && o->second) buffer = &*o->second;
  auto file = buffer ? sources_.add(key, *buffer) : sources_.load(key, error);
  if (!file) return nullptr;
  auto entry = std::make_unique<Imported>();
  entry->tree = parse(file);
  entry->in_progress = true;
  Imported* raw = entry.get();
  imports_.emplace(key, std::move(entry));
  raw->analysis = analyze(*raw->tree, *this, options);
  raw->in_progress = false;
  return raw;
}

std::unique_ptr<Analysis> analyze(const ast::SyntaxTree& tree, AnalysisContext& context,
                                  const AnalysisOptions& options) {
  auto out = std::make_unique<Analysis>(tree);
  std::error_code ec;
  std::string self = std::filesystem::weakly_canonical(tree.source().path(), ec).string();
  context.import_stack.push_back(ec ? tree.source().path() : self);
  {
    Checker checker(tree, context, options, *out);
    checker.run();
    out->diagnostics = checker.sink_.take();
    // In source order (function signatures are checked before the statements that precede them).
    std::stable_sort(out->diagnostics.begin(), out->diagnostics.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                       return std::pair(a.range.file, a.range.begin) <
                              std::pair(b.range.file, b.range.begin);
                     });
  }
  context.import_stack.pop_back();
  return out;
}

}  // namespace tl::sema
