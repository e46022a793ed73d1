// Specializations: a function's body checked again with the argument types of one call, when
// they carry more than the declared parameter types (docs/ARCHITECTURE.md, "Specializations").
//
// The generic check (the body against its declared parameter types) stays what the compiler and
// the editor's symbol queries use; a specialization only adds: the call's result type, the
// diagnostics that these argument types reveal (each once, with a note naming the call), and the
// types of the body's expressions for hover (Analysis::specializations). Everything else it writes
// (symbols, references, calls, run-time checks, the types of the body's expressions, the current
// types of outer variables the body assigns) is put back when it ends. A specialization never
// starts a generic check: a callee not yet checked is specialized too, so what it appends is all
// its own.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <tuple>

#include "compiler/sema/checker.h"
#include "compiler/syntax/limits.h"
#include "vm/model/model.h"

namespace tl::sema {

using namespace ast;

namespace {

// How deep specializations nest (a recursive function called with ever new constants stops
// here), how many one function may have, and how many expressions they may check in all on top
// of the file's own (so that a large program checks in at most about twice its time).
constexpr uint32_t kMaxSpecializationDepth = 8;
constexpr uint32_t kMaxSpecializationsPerFunction = 8;
constexpr uint32_t kMaxSpecializationCallDepth = kMaxNestingDepth / 10;

// The parts of a type that a specialization depends on, as a memo key (origins left out).
void append_key(const Type& t, std::string& out) {
  out += static_cast<char>('A' + static_cast<int>(t.kind));
  if (t.rank_known) {
    out += '[';
    for (const Dim& d : t.dims) {
      if (d.is_const())
        out += std::to_string(d.value);
      else if (d.is_var())
        out += "$" + d.name;
      else
        out += '?';
      out += ',';
    }
    out += ']';
  } else if (t.is(TypeKind::Int) && t.int_value() && t.int_value()->is_const()) {
    out += '=' + std::to_string(t.int_value()->value);
  }
  if (t.model) out += fmt::format("@{}", static_cast<const void*>(t.model.get()));
  if (t.is(TypeKind::String) || t.is(TypeKind::ModelPath))
    out += fmt::format("'{}'{}", static_cast<int>(t.text), t.path);
  if (t.is(TypeKind::List)) out += static_cast<char>('a' + static_cast<int>(t.elem));
  if (t.strings) {
    out += '<';
    for (const std::string& s : *t.strings) out += fmt::format("{}:{}", s.size(), s);
    out += '>';
  }
  if (t.fields) {
    out += '{';
    for (const MapField& f : *t.fields) {
      out += fmt::format("{}:{}=", f.key.size(), f.key);
      append_key(f.type, out);
      out += ';';
    }
    out += '}';
  }
  if (t.is(TypeKind::Function)) out += std::to_string(t.fn);
  out += '|';
}

// Whether argument type `a` says more than parameter type `p` declares: worth a specialization.
// Size variables bound to constants are not (a specialization that another argument asks for has
// them too): a signature that names its sizes is checked once for all of them. Nor is an int's
// value (see specialized_param).
bool adds_to(const Type& p, const Type& a) {
  if (a.is_unknown()) return false;
  if (p.is_unknown()) return !a.is(TypeKind::None);
  switch (p.kind) {
    case TypeKind::Tensor:
      if (!a.is_tensor() || !a.rank_known) return false;
      if (!p.rank_known) return true;
      if (p.dims.size() != a.dims.size()) return false;
      for (size_t j = 0; j < p.dims.size(); ++j)
        if (p.dims[j].is_unknown() && !a.dims[j].is_unknown()) return true;
      return false;
    case TypeKind::Model:
      return a.is(TypeKind::Model) && a.model != nullptr;
    case TypeKind::Map:
      return a.is(TypeKind::Map) && a.fields &&
             std::any_of(a.fields->begin(), a.fields->end(),
                         [](const MapField& f) { return !f.type.is_unknown(); });
    case TypeKind::String:
      return a.is(TypeKind::String) && a.text != Type::Text::Unknown;
    case TypeKind::List:
      return a.is(TypeKind::List) && (a.strings || a.rank_known);
    default:
      return false;
  }
}

// A parameter's type in a specialization: the declared type `p` (its sizes bound) made as
// precise as the argument `a` allows. An int's value is left out (a recursive function counting
// down would otherwise have one specialization per value).
Type specialized_param(const Type& p, const Type& a, const Type& p_bound) {
  if (a.is_unknown()) return p_bound;
  if (a.is(TypeKind::Int) && (p.is_unknown() || p.is(TypeKind::Int)))
    return Type::of(TypeKind::Int);
  if (p.is_unknown()) return a;
  if (p.is_tensor()) {
    if (!a.is_tensor() || !a.rank_known) return p_bound;
    if (!p.rank_known) return a;
    if (p.dims.size() != a.dims.size()) return p_bound;
    Type t = p_bound;
    for (size_t j = 0; j < t.dims.size(); ++j)
      if (t.dims[j].is_unknown()) t.dims[j] = a.dims[j];
    return t;
  }
  return p.kind == a.kind ? a : p_bound;
}

// "m: Model(tiny.gguf)", "x: float16[4, 3]", "n: 4": an argument as the note shows it.
std::string describe_arg(std::string_view name, const Type& t) {
  if (t.is(TypeKind::Model) && t.model)
    return fmt::format("{}: Model({})", name, t.model->path.filename().string());
  if (const Dim* v = t.int_value(); v && v->is_const())
    return fmt::format("{}: {}", name, v->value);
  if (t.is(TypeKind::String) && t.text == Type::Text::Known)
    return fmt::format("{}: \"{}\"", name,
                       t.path.size() > 40 ? t.path.substr(0, 37) + "..." : t.path);
  return fmt::format("{}: {}", name, t.to_string());
}

}  // namespace

Dim Checker::bind_size(Dim d) const {
  if (!d.is_var()) return d;
  for (const auto& [name, value] : spec_sizes_)
    if (name == d.name) {
      const OriginId o = d.origin;
      d = value;
      if (d.origin == kNoOrigin) d.origin = o;
      break;
    }
  return d;
}

Type Checker::bind_sizes(Type t) const {
  if (spec_sizes_.empty()) return t;
  for (Dim& d : t.dims) d = bind_size(std::move(d));
  return t;
}

std::pair<uint32_t, uint32_t> Checker::expr_range(uint32_t fn) {
  auto& r = expr_ranges_[fn];
  if (r.second != 0) return r;
  uint32_t lo = UINT32_MAX, hi = 0;
  std::vector<const Node*> stack{out_.functions[fn].decl};
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (const auto* e = dyn_cast<Expr>(n)) {
      lo = std::min(lo, e->id);
      hi = std::max(hi, e->id + 1);
    }
    for_each_child(n, [&](const Node* c) { stack.push_back(c); });
  }
  r = lo < hi ? std::pair{lo, hi} : std::pair{0u, 0u};  // {0, 0}: no expressions
  return r;
}

bool Checker::wants_specialization(uint32_t fn, const FunctionInfo& f,
                                   const std::vector<Type>& args,
                                   const std::vector<const Arg*>& bound) const {
  // An imported function's body is in another file's tree (its analysis has its own tables).
  if (out_.symbols[f.symbol].imported) return false;
  // Inside a specialization a callee not checked yet has no generic result: specialize it.
  if (spec_depth_ > 0 && fn_state_[fn] == 0 && !f.declared_result) return true;
  for (size_t k = 0; k < f.params.size(); ++k)
    if (bound[k] && adds_to(f.params[k], args[k])) return true;
  return false;
}

std::optional<Type> Checker::specialize(const Call* c, uint32_t fn, const FunctionInfo& f,
                                        const std::vector<Type>& args,
                                        const std::vector<const Arg*>& bound,
                                        const std::vector<std::pair<std::string, Dim>>& sizes) {
  // Each nested specialization may hold a body as deep as the parser allows on the stack: only a
  // call near the surface of its expression starts one.
  if (spec_depth_ >= kMaxSpecializationDepth || expr_depth_ > kMaxSpecializationCallDepth)
    return std::nullopt;

  // The parameters' types in this specialization, with the call's constant sizes.
  std::vector<std::pair<std::string, Dim>> saved_sizes = std::move(spec_sizes_);
  spec_sizes_ = sizes;
  std::vector<Type> params;
  std::string why;
  for (size_t k = 0; k < f.params.size(); ++k) {
    const Type declared = bind_sizes(f.params[k]);
    params.push_back(bound[k] ? specialized_param(f.params[k], args[k], declared) : declared);
    if (bound[k] && adds_to(f.params[k], args[k]))
      why += (why.empty() ? "" : ", ") + describe_arg(f.param_names[k], params.back());
  }
  spec_sizes_ = std::move(saved_sizes);
  std::string key = std::to_string(fn) + ":";
  for (const Type& p : params) append_key(p, key);
  const std::string fname = out_.symbols[f.symbol].name;
  // A call inside an `if` or `else` of a specialized body: its diagnostics are not reported
  // either (the condition may be what keeps it from running with these types).
  const bool guarded = spec_depth_ > 0 && branch_depth_ > 0;

  if (auto it = spec_memo_.find(key); it != spec_memo_.end()) {
    if (it->second.in_progress) return std::nullopt;  // recursion: the generic result
    // The same diagnostics again, for this call (merged once in the end).
    const Type result = it->second.result;
    out_.specializations[it->second.index].later_calls.push_back(c->range);
    report_specialization(it->second.diags, c, fname, why, guarded);
    return result;
  }
  const auto [lo, hi] = expr_range(fn);
  const uint64_t cost = hi - lo;
  if (spec_count_[fn] >= kMaxSpecializationsPerFunction || cost > spec_budget_) return std::nullopt;
  spec_budget_ -= cost;
  ++spec_count_[fn];
  spec_memo_.emplace(key, Memo{});
  std::vector<Diagnostic> diags;
  Type result = run_specialization(c, fn, std::move(params), sizes, diags);
  spec_memo_[key] = Memo{result, false, diags, out_.specializations.size() - 1};
  report_specialization(std::move(diags), c, fname, why, guarded);
  return result;
}

// Diagnostics of a specialization for call `c`, with a note at the call (clang's "in
// instantiation of ... requested here"): into the enclosing specialization's, which adds its own
// note after this one, or kept for the end of the file's check.
void Checker::report_specialization(std::vector<Diagnostic> diags, const Call* c,
                                    const std::string& fname, const std::string& why,
                                    bool guarded) {
  if (guarded || diags.empty()) return;
  for (Diagnostic& d : diags)
    d.note(c->range, why.empty() ? fmt::format("in `{}` called here", fname)
                                 : fmt::format("in `{}` called here with {}", fname, why));
  if (spec_depth_ > 0)
    sink_.append(diags);
  else
    spec_diags_.insert(spec_diags_.end(), std::make_move_iterator(diags.begin()),
                       std::make_move_iterator(diags.end()));
}

Type Checker::run_specialization(const Call* c, uint32_t fn, std::vector<Type> params,
                                 std::vector<std::pair<std::string, Dim>> sizes,
                                 std::vector<Diagnostic>& diags) {
  // What the body writes that is put back afterwards.
  const size_t symbols = out_.symbols.size(), references = out_.references.size(),
               calls = out_.calls.size(), checks = out_.runtime_checks.size(),
               log = assign_log_.size();
  const auto [lo, hi] = expr_range(fn);
  std::vector<Type> types(out_.expr_types.begin() + lo, out_.expr_types.begin() + hi);
  std::vector<SymbolId> expr_symbols(out_.expr_symbol.begin() + lo, out_.expr_symbol.begin() + hi);
  std::vector<uint32_t> expr_calls(out_.expr_call.begin() + lo, out_.expr_call.begin() + hi);
  DiagnosticSink found;
  std::swap(sink_, found);
  std::vector<std::pair<std::string, Dim>> saved_sizes = std::move(spec_sizes_);
  spec_sizes_ = std::move(sizes);
  std::vector<SourceRange> saved_branches = std::move(spec_branches_);
  spec_branches_.clear();
  ++spec_depth_;

  std::optional<Type> yielded = check_body(fn, params, /*generic=*/false);

  --spec_depth_;
  spec_sizes_ = std::move(saved_sizes);
  std::vector<SourceRange> branches = std::move(spec_branches_);
  spec_branches_ = std::move(saved_branches);
  std::swap(sink_, found);
  Type result = yielded ? *yielded : Type::of(TypeKind::None);

  Specialization sp;
  sp.function = fn;
  sp.call = c->range;
  sp.params = std::move(params);
  sp.result = result;
  sp.first_expr = lo;
  sp.types.assign(out_.expr_types.begin() + lo, out_.expr_types.begin() + hi);
  const FnDecl* decl = out_.functions[fn].decl;
  for (size_t s = symbols; s < out_.symbols.size(); ++s) {
    const Symbol& sym = out_.symbols[s];
    if (sym.name_range.file != tree_.source().id()) continue;
    Type t = sym.type;
    for (size_t k = 0; k < decl->params.size(); ++k)  // an annotated parameter's: this call's
      if (sym.kind == SymbolKind::Parameter &&
          decl->params[k].name_range.begin == sym.name_range.begin)
        t = sp.params[k];
    sp.symbols.emplace_back(sym.name_range.begin, std::move(t));
  }
  out_.specializations.push_back(std::move(sp));

  std::move(types.begin(), types.end(), out_.expr_types.begin() + lo);
  std::copy(expr_symbols.begin(), expr_symbols.end(), out_.expr_symbol.begin() + lo);
  std::copy(expr_calls.begin(), expr_calls.end(), out_.expr_call.begin() + lo);
  // Outer variables the body assigned (globals) get their types back, oldest last.
  for (size_t i = assign_log_.size(); i-- > log;) {
    const auto& [s, before] = assign_log_[i];
    if (s < symbols) current_[s] = before;
  }
  assign_log_.resize(log);
  out_.symbols.resize(symbols);
  current_.resize(symbols);
  annotated_.resize(symbols);
  out_.references.resize(references);
  out_.calls.resize(calls);
  out_.runtime_checks.resize(checks);

  // Its diagnostics, less those inside an `if` or `else` of the body: the condition may be what
  // keeps that code from running with these types (`if x.ndim == 2 { x.mT }`, llama.tl's
  // output_weight naming `output.weight` only when the file has it).
  diags = found.take();
  std::erase_if(diags, [&](const Diagnostic& d) {
    return std::any_of(branches.begin(), branches.end(), [&](const SourceRange& b) {
      return b.file == d.range.file && b.begin <= d.range.begin && d.range.begin < b.end;
    });
  });
  return result;
}

void Checker::merge_specialization_diagnostics() {
  if (spec_diags_.empty()) return;
  using Key = std::tuple<DiagCode, FileId, uint32_t, uint32_t>;
  std::set<Key> seen;
  for (const Diagnostic& d : sink_.diagnostics())
    seen.emplace(d.code, d.range.file, d.range.begin, d.range.end);
  std::vector<Diagnostic> fresh;
  for (Diagnostic& d : spec_diags_)
    if (seen.emplace(d.code, d.range.file, d.range.begin, d.range.end).second)
      fresh.push_back(std::move(d));
  spec_diags_.clear();
  sink_.append(fresh);
}

}  // namespace tl::sema
