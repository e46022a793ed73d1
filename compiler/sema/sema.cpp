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

namespace {

// " (by call: float16[5, 64] | float16[1, 64])" when the specializations give `e` different types.
std::string varies_by_call(const std::vector<SpecializedType>& types) {
  if (types.size() < 2) return {};
  std::string text = " (by call: ";
  for (size_t i = 0; i < types.size(); ++i) text += (i ? " | " : "") + types[i].type.to_string();
  return text + ")";
}

}  // namespace

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

namespace {

// `a` says all that `b` says, and maybe more: float16[?, 64] of float16[...], a Model with its
// header of one without.
bool at_least_as_precise(const Type& a, const Type& b) {
  if (b.is_unknown()) return true;
  if (a.kind != b.kind) return false;
  if (b.rank_known) {
    if (!a.rank_known || a.dims.size() != b.dims.size()) return false;
    for (size_t i = 0; i < a.dims.size(); ++i)
      if (!b.dims[i].is_unknown() && !b.dims[i].same(a.dims[i])) return false;
  } else if (const Dim* v = b.int_value(); v && !v->is_unknown()) {
    const Dim* w = a.int_value();
    if (!w || !w->same(*v)) return false;
  }
  if (b.model && a.model != b.model) return false;
  if (b.text != Type::Text::Unknown && (a.text != b.text || a.path != b.path)) return false;
  if (b.strings && (!a.strings || *a.strings != *b.strings)) return false;
  if (b.fields) {
    if (!a.fields) return false;
    for (const MapField& f : *b.fields) {
      auto it = std::find_if(a.fields->begin(), a.fields->end(),
                             [&](const MapField& g) { return g.key == f.key; });
      if (it == a.fields->end() || !at_least_as_precise(it->type, f.type)) return false;
    }
  }
  return true;
}

bool same_range(const SourceRange& a, const SourceRange& b) {
  return a.file == b.file && a.begin == b.begin && a.end == b.end;
}

// Specialization `a`, for the same call as `b`, had arguments as precise as b's or more: b's types
// say nothing that a's do not (b is the call checked inside its function's generic check, a the
// same call inside a specialization of that function for a call that names the model; or a is
// the first call with those types, and b's call came later with them too and reused a's check).
bool subsumes(const Specialization& a, const Specialization& b) {
  if (&a == &b || a.function != b.function || a.params.size() != b.params.size()) return false;
  if (!same_range(a.call, b.call) &&
      std::none_of(a.later_calls.begin(), a.later_calls.end(),
                   [&](const SourceRange& c) { return same_range(c, b.call); }))
    return false;
  for (size_t k = 0; k < a.params.size(); ++k)
    if (!at_least_as_precise(a.params[k], b.params[k])) return false;
  return true;
}

// The distinct known types `type_in(specialization)` gives (null: none there), from the
// specializations no other one subsumes. `in_function`: a cheap test of a specialization's
// function (a few per function: the rest are skipped at once, so an editor's many queries on a
// large file stay linear in the specializations).
template <class InFunction, class TypeIn>
std::vector<SpecializedType> distinct_types(const std::vector<Specialization>& all,
                                            InFunction in_function, TypeIn type_in) {
  std::vector<const Specialization*> specs;
  for (const Specialization& sp : all)
    if (in_function(sp)) specs.push_back(&sp);
  std::vector<SpecializedType> out;
  std::vector<std::string> seen;
  for (const Specialization* sp : specs) {
    const Type* t = type_in(*sp);
    if (!t || t->is_unknown()) continue;
    if (std::any_of(specs.begin(), specs.end(),
                    [&](const Specialization* other) { return subsumes(*other, *sp); }))
      continue;
    std::string text = t->to_string();
    if (std::find(seen.begin(), seen.end(), text) != seen.end()) continue;
    seen.push_back(std::move(text));
    out.push_back({*t, sp->call});
  }
  return out;
}

}  // namespace

std::vector<SpecializedType> Analysis::specialized_types(const ast::Expr* e) const {
  auto in_function = [&](const Specialization& sp) {
    return e->id >= sp.first_expr && e->id - sp.first_expr < sp.types.size();
  };
  return distinct_types(specializations, in_function,
                        [&](const Specialization& sp) { return &sp.types[e->id - sp.first_expr]; });
}

std::vector<SpecializedType> Analysis::specialized_types(SymbolId s) const {
  if (s >= symbols.size() || symbols[s].imported || symbols[s].global) return {};
  const SourceRange at = symbols[s].name_range;
  auto in_function = [&](const Specialization& sp) {
    const SourceRange& fn = functions[sp.function].decl->range;
    return fn.file == at.file && fn.begin <= at.begin && at.begin < fn.end;
  };
  return distinct_types(specializations, in_function, [&](const Specialization& sp) -> const Type* {
    for (const auto& [offset, type] : sp.symbols)
      if (offset == at.begin) return &type;
    return nullptr;
  });
}

namespace {

// What every one of `types` is (their join), or `generic` when they have nothing in common.
Type common_type(const std::vector<SpecializedType>& types, const Type& generic) {
  if (types.empty()) return generic;
  Type t = types[0].type;
  for (size_t i = 1; i < types.size(); ++i) t = join(types[i].type, t);
  return t.is_unknown() ? generic : t;
}

}  // namespace

Type Analysis::shown_type(const ast::Expr* e) const {
  return common_type(specialized_types(e), expr_types[e->id]);
}

Type Analysis::shown_type(SymbolId s) const {
  return common_type(specialized_types(s), symbols[s].type);
}

std::string Analysis::hover(uint32_t offset) const {
  SymbolId s = symbol_at(offset);
  const ast::Expr* e = expr_at(offset);
  if (e) {
    if (const auto* call = ast::dyn_cast<ast::Call>(e)) {
      const CallInfo* ci = call_info(call);
      const std::string result = shown_type(e).to_string() + varies_by_call(specialized_types(e));
      std::string text = result;
      if (ci && ci->callee == CallInfo::Callee::Function) {
        text = fmt::format("{}(...) -> {}", symbols[functions[ci->function].symbol].name, result);
        for (size_t i = 0; i < ci->bindings.size(); ++i)
          text += fmt::format("{}{} = {}", i ? ", " : " with ", ci->bindings[i].name,
                              ci->bindings[i].value.to_string());
      } else if (ci && ci->callee == CallInfo::Callee::Builtin) {
        text =
            fmt::format("{}{} -> {}", builtin_info(ci->builtin).name,
                        builtin_info(ci->builtin)
                            .signature.substr(0, builtin_info(ci->builtin).signature.find(" ->")),
                        result);
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
    const bool here = e && expr_symbol[e->id] == s;
    const Type t = here ? shown_type(e) : shown_type(s);
    return fmt::format("{} {}: {}{}", symbol_kind_name(sym.kind), sym.name, t.to_string(),
                       varies_by_call(here ? specialized_types(e) : specialized_types(s)));
  }
  if (e) return shown_type(e).to_string() + varies_by_call(specialized_types(e));
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
