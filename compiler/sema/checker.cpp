// Declarations, statements and scopes.
#include "compiler/sema/checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "compiler/sema/suggest.h"

namespace tl::sema {

using namespace ast;

Checker::Checker(const SyntaxTree& tree, AnalysisContext& ctx, const AnalysisOptions& options,
                 Analysis& out)
    : sink_(options.error_limit), tree_(tree), ctx_(ctx), options_(options), out_(out) {}

Type join(const Type& newer, const Type& older) {
  if (newer.kind != older.kind) return older.is_unknown() ? newer : Type::unknown();
  if (newer.kind == TypeKind::Model) return newer;  // the newest load_model wins
  if (newer.kind == TypeKind::String && (newer.text != older.text || newer.path != older.path))
    return Type::of(TypeKind::String);  // a value that differs between paths is not known
  Type t = newer;
  if (newer.strings != older.strings &&
      (!newer.strings || !older.strings || *newer.strings != *older.strings))
    t.strings = nullptr;
  if (newer.fields != older.fields) {
    // A map's entries after two paths: the keys both know, each with the join of its types.
    t.fields = nullptr;
    if (newer.fields && older.fields) {
      auto both = std::make_shared<MapFields>();
      for (const MapField& n : *newer.fields)
        for (const MapField& o : *older.fields)
          if (n.key == o.key) {
            Type j = join(n.type, o.type);
            if (!j.is_unknown()) both->push_back({n.key, std::move(j)});
          }
      t.fields = std::move(both);
    }
  }
  if (newer.rank_known != older.rank_known || newer.dims.size() != older.dims.size()) {
    t.rank_known = false;
    t.dims.clear();
    return t;
  }
  for (size_t i = 0; i < t.dims.size(); ++i)
    if (!newer.dims[i].same(older.dims[i])) t.dims[i] = Dim::unknown();
  return t;
}

// --- scopes -------------------------------------------------------------------------------------

void Checker::push_scope(ScopeKind k, SourceRange range) {
  scopes_.push_back({k, {}, range});
}

void Checker::pop_scope() {
  for (std::string_view n : scopes_.back().names) {
    auto it = bindings_.find(n);
    it->second.pop_back();
    if (it->second.empty()) bindings_.erase(it);
  }
  scopes_.pop_back();
}

SymbolId Checker::declare(std::string_view name, SymbolKind kind, SourceRange name_range,
                          SourceRange decl_range, Type type, bool check_redeclaration) {
  auto& stack = bindings_[name];
  const uint32_t depth = static_cast<uint32_t>(scopes_.size() - 1);
  if (check_redeclaration && !stack.empty() && stack.back().depth == depth) {
    const Symbol& prev = out_.symbols[stack.back().id];
    sink_
        .report(DiagCode::E0303, name_range,
                fmt::format("`{}` is already declared in this scope", name))
        .note(prev.name_range, fmt::format("`{}` first declared here", name));
  }
  SymbolId id = static_cast<SymbolId>(out_.symbols.size());
  Symbol s;
  s.name = std::string(name);
  s.kind = kind;
  s.name_range = name_range;
  s.decl_range = decl_range;
  s.type = type;
  s.global = depth == 0;
  s.scope = scopes_.back().range;
  out_.symbols.push_back(std::move(s));
  current_.push_back(std::move(type));
  annotated_.push_back(false);
  if (stack.empty() || stack.back().depth != depth)
    scopes_.back().names.push_back(name);
  else
    stack.pop_back();  // a redeclaration in the same scope replaces the binding
  stack.push_back({id, depth});
  return id;
}

SymbolId Checker::lookup(std::string_view name) const {
  auto it = bindings_.find(name);
  if (it == bindings_.end()) return kNoSymbol;
  for (auto b = it->second.rbegin(); b != it->second.rend(); ++b)
    if (b->depth == 0 || b->depth >= scope_floor_) return b->id;
  return kNoSymbol;
}

void Checker::reference(const Expr* e, SymbolId s, bool write) {
  out_.expr_symbol[e->id] = s;
  out_.references.push_back({e->range, s, write});
}

std::vector<std::string> Checker::visible_names() const {
  std::vector<std::string> names;
  for (const auto& [n, stack] : bindings_)
    for (const auto& b : stack)
      if (b.depth == 0 || b.depth >= scope_floor_) {
        names.emplace_back(n);
        break;
      }
  for (const auto& info : kBuiltinTable) names.emplace_back(info.name);
  std::sort(names.begin(), names.end());
  return names;
}

void Checker::report_unknown_name(std::string_view name, SourceRange range) {
  auto later = later_decls_.find(name);
  if (later != later_decls_.end() && later->second.begin > range.begin) {
    sink_.report(DiagCode::E0302, range, fmt::format("`{}` is used before its definition", name))
        .note(later->second, fmt::format("`{}` is defined here", name));
    return;
  }
  auto& d = sink_.report(DiagCode::E0301, range, fmt::format("unknown name `{}`", name));
  // Assigned in a block that has ended (Python would keep it: TL scopes names to their block, so
  // that a name never depends on which branch ran).
  for (auto it = out_.symbols.rbegin(); it != out_.symbols.rend(); ++it) {
    const Symbol& sym = *it;
    if (sym.name != name || sym.imported || sym.scope.end > range.begin ||
        (sym.kind != SymbolKind::Variable && sym.kind != SymbolKind::LoopVariable))
      continue;
    d.note(
        sym.name_range,
        fmt::format("`{}` was {} here, inside a block that ends before this use: TL names live "
                    "in their block (not the whole function, as in Python); declare it before "
                    "the block (`let {} = ...`) and assign it inside",
                    name, sym.kind == SymbolKind::LoopVariable ? "the loop variable" : "assigned",
                    name));
    return;
  }
  if (const ForeignName* f = foreign_name(name)) {
    d.note({}, std::string(f->advice));
    if (!f->rename.empty()) d.fix(range, std::string(f->rename));
    // `torch.softmax(...)`: the fix drops the module prefix.
    const std::string_view text = tree_.source().text();
    if (f->rename.empty() && f->advice.starts_with("TL has no modules") &&
        range.file == tree_.source().id() && range.end < text.size() && text[range.end] == '.')
      d.fix(SourceRange{range.file, range.begin, range.end + 1}, "");
    return;
  }
  auto close = closest(name, visible_names());
  if (!close.empty()) d.note({}, "did you mean " + join_names(close) + "?").fix(range, close[0]);
}

// --- the module ---------------------------------------------------------------------------------

void Checker::run() {
  out_.expr_types.assign(tree_.expr_count(), Type::unknown());
  out_.expr_symbol.assign(tree_.expr_count(), kNoSymbol);
  out_.expr_call.assign(tree_.expr_count(), ~0u);
  out_.origins.push_back({});  // OriginId 0: none
  // Rough sizes from the tree, so that big files do not rehash and reallocate as they go.
  const size_t estimate = tree_.expr_count() / 8 + 16;
  bindings_.reserve(estimate);
  out_.symbols.reserve(estimate);
  current_.reserve(estimate);
  annotated_.reserve(estimate);
  out_.origins.reserve(estimate);
  out_.references.reserve(estimate * 2);
  push_scope(ScopeKind::Module, tree_.module()->range);
  collect_module_declarations();
  spec_count_.assign(out_.functions.size(), 0);
  expr_ranges_.assign(out_.functions.size(), {0, 0});
  spec_budget_ = kSpecializationBudgetBase + tree_.expr_count();

  const Module* m = tree_.module();
  const MainBlock* main_block = nullptr;
  for (const Stmt* s : m->items) {
    switch (s->kind) {
      case NodeKind::FnDecl:
      case NodeKind::ImportDecl:
        break;  // hoisted (collect_module_declarations)
      case NodeKind::MainBlock:
        if (!main_block) main_block = cast<MainBlock>(s);
        break;
      default:
        check_stmt(s);
    }
  }
  if (main_block) check_block(main_block->body, ScopeKind::Block);
  for (uint32_t f = 0; f < out_.functions.size(); ++f)
    if (fn_state_[f] == 0) check_function_body(f);
  for (uint32_t f = 0; f < out_.functions.size(); ++f)
    if (fn_escapes_[f]) add_entry_checks(f);
  pop_scope();
  merge_specialization_diagnostics();
}

void Checker::collect_module_declarations() {
  // Top-level names (for "used before its definition"; names of inner blocks are simply unknown
  // outside them).
  for (const Stmt* s : tree_.module()->items) {
    if (const auto* let = dyn_cast<Let>(s)) later_decls_.try_emplace(let->name, let->name_range);
    if (const auto* td = dyn_cast<TensorDecl>(s))
      later_decls_.try_emplace(td->name, td->name_range);
    if (const auto* as = dyn_cast<Assign>(s))
      if (const auto* id = dyn_cast<Ident>(as->target))
        later_decls_.try_emplace(id->name, id->range);
  }
  for (const Stmt* s : tree_.module()->items) {
    if (const auto* imp = dyn_cast<ImportDecl>(s)) process_import(imp);
  }
  for (const Stmt* s : tree_.module()->items) {
    if (const auto* fn = dyn_cast<FnDecl>(s)) {
      FunctionInfo info;
      info.decl = fn;
      // Size variables in the signature get the parameter they first appear in as origin.
      for (const Param& p : fn->params) {
        info.param_names.emplace_back(p.name);
        OriginId o = add_origin(std::string(p.name), p.name_range);
        info.params.push_back(p.type ? resolve_type(p.type, o) : Type::unknown());
        info.has_default.push_back(p.default_value != nullptr);
        if (p.default_value) check_default(p, info.params.back());
      }
      if (fn->return_type) {
        OriginId o =
            add_origin(fmt::format("the result of `{}`", fn->name), fn->return_type->range);
        info.result = resolve_type(fn->return_type, o);
        info.declared_result = true;
      }
      declare_function(fn, false, std::move(info));
    }
  }
}

// A default parameter value is a literal (a number, string, bool or none): the caller's code
// evaluates it, so it must not depend on any scope.
void Checker::check_default(const Param& p, const Type& declared) {
  const Expr* e = p.default_value;
  if (const auto* u = dyn_cast<Unary>(e); u && u->op == UnaryOp::Neg) e = u->operand;
  Type t = Type::unknown();
  if (isa<IntLit>(e)) {
    t = Type::of(TypeKind::Int);
  } else if (isa<FloatLit>(e)) {
    t = Type::of(TypeKind::Float);
  } else if (e == p.default_value && isa<StringLit>(e)) {
    t = Type::of(TypeKind::String);
  } else if (e == p.default_value && isa<BoolLit>(e)) {
    t = Type::of(TypeKind::Bool);
  } else if (const auto* id = dyn_cast<Ident>(e);
             id && e == p.default_value && id->name == "none") {
    t = Type::of(TypeKind::None);
  } else {
    sink_.report(DiagCode::E0401, p.default_value->range,
                 fmt::format("the default value of `{}` must be a literal (a number, a string, "
                             "true, false or none)",
                             p.name));
    return;
  }
  out_.expr_types[e->id] = t;
  out_.expr_types[p.default_value->id] = t;
  const bool fits = declared.is_unknown() || t.is(TypeKind::None) || declared.kind == t.kind ||
                    (declared.is(TypeKind::Float) && t.is(TypeKind::Int));
  if (!fits)
    sink_.report(DiagCode::E0401, p.default_value->range,
                 fmt::format("the default value of `{}` must be {}, not {}", p.name,
                             declared.to_string(), t.to_string()));
}

void Checker::declare_function(const FnDecl* fn, bool imported, FunctionInfo info) {
  Type t = Type::of(TypeKind::Function);
  t.fn = static_cast<uint32_t>(out_.functions.size());
  SymbolId s = declare(fn->name, SymbolKind::Function, fn->name_range, fn->range, t);
  out_.symbols[s].function = t.fn;
  out_.symbols[s].imported = imported;
  info.symbol = s;
  out_.functions.push_back(std::move(info));
  fn_state_.push_back(imported ? 2 : 0);
  fn_escapes_.push_back(0);
}

void Checker::process_import(const ImportDecl* imp) {
  namespace fs = std::filesystem;
  std::string_view rel = imp->path->value;
  fs::path base = fs::path(tree_.source().path()).parent_path();
  fs::path p = fs::path(rel).is_absolute() ? fs::path(rel) : base / rel;
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(p, ec);
  if (ec || !fs::is_regular_file(canonical)) {
    const char* why = rel.find('\0') != std::string_view::npos ? "the path contains a NUL byte"
                      : fs::is_directory(canonical, ec)        ? "it is a directory"
                      : fs::exists(canonical, ec)              ? "not a regular file"
                                                               : "no such file";
    sink_.report(DiagCode::E0304, imp->path->range,
                 fmt::format("cannot import `{}`: {} ({})", rel, why, p.string()));
    return;
  }
  std::string error;
  bool cycle = false;
  auto* imported = ctx_.import_file(canonical, options_, &error, &cycle);
  if (cycle) {
    std::string chain;
    bool on = false;
    for (const std::string& f : ctx_.import_stack) {
      if (f == canonical.string()) on = true;
      if (on) chain += fs::path(f).filename().string() + " -> ";
    }
    chain += canonical.filename().string();
    sink_.report(DiagCode::E0305, imp->path->range, fmt::format("import cycle: {}", chain));
    return;
  }
  if (!imported) {
    sink_.report(DiagCode::E0304, imp->path->range,
                 fmt::format("cannot import `{}`: {}", rel, error));
    return;
  }
  const Analysis& a = *imported->analysis;
  bool errors = imported->tree->has_errors() || a.has_errors();
  auto cycle_diag = std::find_if(a.diagnostics.begin(), a.diagnostics.end(),
                                 [](const Diagnostic& x) { return x.code == DiagCode::E0305; });
  if (cycle_diag != a.diagnostics.end()) {
    sink_.report(DiagCode::E0305, imp->path->range, cycle_diag->message)
        .note(cycle_diag->range, "the cycle closes here");
  } else if (errors) {
    auto& d = sink_.report(DiagCode::E0306, imp->path->range,
                           fmt::format("`{}` has errors; run `tl check` on it", rel));
    for (const auto* list : {&imported->tree->diagnostics(), &a.diagnostics}) {
      auto first = std::find_if(list->begin(), list->end(),
                                [](const Diagnostic& x) { return x.severity == Severity::Error; });
      if (first != list->end()) {
        d.note(first->range, first->message);
        break;
      }
    }
  }
  for (const Symbol& s : a.symbols) {
    if (!s.global || s.imported) continue;  // own top-level declarations only
    if (s.kind == SymbolKind::Function) {
      const FunctionInfo& f = a.functions[s.function];
      FunctionInfo copy = f;
      for (Type& param : copy.params) param = import_type(param, a);
      copy.result = import_type(copy.result, a);
      declare_function(f.decl, true, std::move(copy));
    } else if (s.kind == SymbolKind::Tensor) {
      SymbolId id =
          declare(s.name, SymbolKind::Tensor, s.name_range, s.decl_range, import_type(s.type, a));
      out_.symbols[id].imported = true;
    }
  }
}

// Origins are per analysis: a type from an imported file gets its origins copied over.
Type Checker::import_type(Type t, const Analysis& from) {
  for (Dim& d : t.dims)
    if (d.origin != kNoOrigin && d.origin < from.origins.size())
      d.origin = add_origin(from.origins[d.origin].label, from.origins[d.origin].range);
  return t;
}

// --- functions ----------------------------------------------------------------------------------

void Checker::check_function_body(uint32_t f) {
  fn_state_[f] = 1;
  const std::vector<Type> params = out_.functions[f].params;
  std::optional<Type> result = check_body(f, params, /*generic=*/true);
  FunctionInfo& w = out_.functions[f];
  if (w.declared_result) {
    if (!result && !w.result.is(TypeKind::None))
      sink_.report(DiagCode::E0314, w.decl->name_range,
                   fmt::format("`{}` declares a result of type {} but its body yields no value",
                               w.decl->name, w.result.to_string()));
  } else {
    w.result = result ? *result : Type::of(TypeKind::None);
  }
  fn_state_[f] = 2;
}

std::optional<Type> Checker::check_body(uint32_t f, const std::vector<Type>& params, bool generic) {
  const FnDecl* fn = out_.functions[f].decl;
  // The body sees the module scope and its own scopes, never the caller's blocks.
  uint32_t saved_floor = scope_floor_, saved_loops = loop_depth_, saved_fn = current_fn_,
           saved_branches = branch_depth_;
  std::vector<Type> saved_returns = std::move(fn_returns_);
  std::vector<std::string> saved_rigid = std::move(rigid_vars_);
  fn_returns_.clear();
  rigid_vars_.clear();
  for (const Type& p : out_.functions[f].params)
    for (const Dim& d : p.dims)
      if (d.is_var()) rigid_vars_.push_back(d.name);
  // The signature's size variables are ints in the body (`reshape(x, N, -1)`), in a scope of
  // their own around the parameters', so that a parameter or a `let` of the same name wins.
  push_scope(ScopeKind::Function, fn->range);
  scope_floor_ = static_cast<uint32_t>(scopes_.size() - 1);
  std::vector<SizeVariable> sizes = declare_size_variables(fn);
  if (generic) out_.functions[f].size_variables = std::move(sizes);
  push_scope(ScopeKind::Function, fn->range);
  loop_depth_ = 0;
  branch_depth_ = 0;
  current_fn_ = f;
  for (uint32_t i = 0; i < fn->params.size(); ++i) {
    const Param& p = fn->params[i];
    SymbolId s = declare(p.name, SymbolKind::Parameter, p.name_range, p.range, params[i]);
    annotated_[s] = p.type != nullptr;
    // An annotated parameter keeps its declared type for assignments (`x = ...` must fit it).
    if (!generic && p.type) out_.symbols[s].type = bind_sizes(out_.functions[f].params[i]);
  }
  check_stmts(fn->body->stmts);

  // The value of the last expression statement is the result when no `return` runs.
  Type result = Type::unknown();
  bool have_result = false;
  const Stmt* last = fn->body->stmts.empty() ? nullptr : fn->body->stmts.back();
  if (const auto* es = dyn_cast<ExprStmt>(last)) {
    const Type& t = out_.expr_types[es->expr->id];
    if (!t.is(TypeKind::None)) {
      check_result(t, es->expr);
      fn_returns_.push_back(t);
    }
  }
  for (const Type& r : fn_returns_) {
    result = have_result ? join(r, result) : r;
    have_result = true;
  }
  pop_scope();
  pop_scope();
  scope_floor_ = saved_floor;
  loop_depth_ = saved_loops;
  branch_depth_ = saved_branches;
  current_fn_ = saved_fn;
  fn_returns_ = std::move(saved_returns);
  rigid_vars_ = std::move(saved_rigid);
  if (!have_result) return std::nullopt;
  return result;
}

std::vector<SizeVariable> Checker::declare_size_variables(const FnDecl* fn) {
  std::vector<SizeVariable> vars;
  for (uint32_t k = 0; k < fn->params.size(); ++k) {
    const auto* tt = fn->params[k].type ? dyn_cast<TensorType>(fn->params[k].type) : nullptr;
    if (!tt) continue;
    uint32_t j = 0;
    for (const ast::Dim& d : tt->dims) {
      const bool seen = std::any_of(vars.begin(), vars.end(),
                                    [&](const SizeVariable& v) { return v.name == d.name; });
      if (d.kind == ast::Dim::Kind::Name && !seen) {
        SizeVariable v{std::string(d.name), k, j, kNoSymbol};
        v.symbol = declare(d.name, SymbolKind::SizeVariable, d.range, d.range,
                           Type::integer(bind_size(Dim::var(std::string(d.name)))));
        vars.push_back(std::move(v));
      }
      ++j;
    }
  }
  return vars;
}

void Checker::check_result(const Type& value, const Expr* e) {
  const FunctionInfo& info = out_.functions[current_fn_];
  if (!info.declared_result) return;
  const std::string what = fmt::format("the result of `{}`", info.decl->name);
  if (spec_sizes_.empty())
    check_against_annotation(info.result, value, e, what, DiagCode::E0406);
  else
    check_against_annotation(bind_sizes(info.result), value, e, what, DiagCode::E0406);
}

// --- statements ---------------------------------------------------------------------------------

void Checker::check_stmts(NodeList<Stmt*> stmts) {
  bool reported_unreachable = false;
  bool ended = false;
  for (const Stmt* s : stmts) {
    if (ended && !reported_unreachable) {
      sink_.report(DiagCode::W0302, s->range, "unreachable code");
      reported_unreachable = true;
    }
    check_stmt(s);
    if (isa<Return>(s) || isa<Break>(s) || isa<Continue>(s)) ended = true;
  }
}

void Checker::check_block(const Block* b, ScopeKind kind) {
  push_scope(kind, b->range);
  size_t mark = assign_log_.size();
  check_stmts(b->stmts);
  pop_scope();
  // Variables of outer scopes assigned in the block: their type after it is the join of both
  // paths (the block may not run, or run again).
  for (size_t i = mark; i < assign_log_.size(); ++i) {
    auto& [sym, before] = assign_log_[i];
    if (sym < current_.size()) current_[sym] = join(current_[sym], before);
  }
}

void Checker::check_stmt(const Stmt* s) {
  switch (s->kind) {
    case NodeKind::Let:
      check_let(cast<Let>(s));
      break;
    case NodeKind::Assign:
      check_assign(cast<Assign>(s));
      break;
    case NodeKind::ExprStmt:
      check_expr(cast<ExprStmt>(s)->expr);
      break;
    case NodeKind::TensorDecl:
      check_tensor_decl(cast<TensorDecl>(s));
      break;
    case NodeKind::Block:
      check_block(cast<Block>(s), ScopeKind::Block);
      break;
    case NodeKind::If: {
      const auto* i = cast<If>(s);
      check_condition(i->cond);
      if (spec_depth_ > 0) {
        spec_branches_.push_back(i->then_block->range);
        if (i->else_branch) spec_branches_.push_back(i->else_branch->range);
      }
      ++branch_depth_;
      check_block(i->then_block, ScopeKind::Block);
      if (i->else_branch) {
        if (const auto* b = dyn_cast<Block>(i->else_branch))
          check_block(b, ScopeKind::Block);
        else
          check_stmt(i->else_branch);
      }
      --branch_depth_;
      break;
    }
    case NodeKind::While: {
      const auto* w = cast<While>(s);
      check_condition(w->cond);
      ++loop_depth_;
      check_block(w->body, ScopeKind::Loop);
      --loop_depth_;
      break;
    }
    case NodeKind::For:
      check_for(cast<For>(s));
      break;
    case NodeKind::Break:
    case NodeKind::Continue:
      if (loop_depth_ == 0)
        sink_.report(DiagCode::E0307, s->range,
                     fmt::format("`{}` outside a loop", isa<Break>(s) ? "break" : "continue"));
      break;
    case NodeKind::Return:
      check_return(cast<Return>(s));
      break;
    default:
      break;  // ErrorStmt; misplaced declarations were reported by the parser
  }
}

void Checker::check_for(const For* f) {
  Type it = as_value(check_expr(f->iterable));
  Type var = Type::unknown();
  switch (it.kind) {
    case TypeKind::Range:
      var = Type::of(TypeKind::Int);
      break;
    case TypeKind::Shape:
      var = Type::of(TypeKind::Int);
      break;
    case TypeKind::Map:
      var = Type::of(TypeKind::String);
      break;
    case TypeKind::List:
      if (it.rank_known && it.dims.size() > 1) {
        var = it;
        var.dims.erase(var.dims.begin());
      } else {
        var = Type::of(it.elem);
      }
      break;
    case TypeKind::Tensor:
      if (it.rank_known && it.dims.empty()) {
        sink_.report(DiagCode::E0404, f->iterable->range, "cannot iterate over a rank-0 tensor");
      } else if (it.rank_known) {
        var = Type::tensor(std::vector<Dim>(it.dims.begin() + 1, it.dims.end()));
      } else {
        var = Type::tensor_unknown_rank();
      }
      break;
    case TypeKind::Unknown:
      break;
    default:
      sink_.report(DiagCode::E0401, f->iterable->range,
                   fmt::format("cannot iterate over a value of type {}", it.to_string()));
  }
  ++loop_depth_;
  push_scope(ScopeKind::Loop, f->range);
  size_t mark = assign_log_.size();
  declare(f->var, SymbolKind::LoopVariable, f->var_range, f->range, var);
  check_stmts(f->body->stmts);
  pop_scope();
  for (size_t i = mark; i < assign_log_.size(); ++i) {
    auto& [sym, before] = assign_log_[i];
    current_[sym] = join(current_[sym], before);
  }
  --loop_depth_;
}

void Checker::check_condition(const Expr* cond) {
  Type t = check_expr(cond);
  const auto* cmp = dyn_cast<Binary>(cond);
  if (t.is_tensor() && cmp && binary_op_precedence(cmp->op) >= 3 &&
      binary_op_precedence(cmp->op) <= 4)
    sink_.report(DiagCode::E0417, cond->range,
                 fmt::format("`{}` compares {} element by element, giving a mask, not a bool: "
                             "compare one element (`x[i, j]`) or a reduction (`max(x) > 0`)",
                             binary_op_spelling(cmp->op), t.to_string()));
  else if (!t.is_unknown() && !t.is(TypeKind::Bool))
    sink_.report(DiagCode::E0415, cond->range,
                 fmt::format("a condition must be a bool, not {}", t.to_string()));
}

// Dims without an origin get `name` (the variable) as theirs: "3 (from `X`)".
static void adopt_origin(Type& t, OriginId o) {
  for (Dim& d : t.dims)
    if (d.origin == kNoOrigin) d.origin = o;
}

void Checker::check_let(const Let* let) {
  Type value = as_value(check_expr(let->init));
  OriginId o = add_origin(std::string(let->name), let->name_range);
  Type type = value;
  bool annotated = false;
  if (let->type) {
    Type declared = resolve_type(let->type, o);
    if (!declared.is_unknown()) {
      check_against_annotation(declared, value, let->init, fmt::format("`{}`", let->name),
                               DiagCode::E0407);
      type = refine(declared, value);
      annotated = true;
    }
  }
  adopt_origin(type, o);
  SymbolId s = declare(let->name, SymbolKind::Variable, let->name_range, let->range, type);
  annotated_[s] = annotated;
}

void Checker::check_assign(const Assign* as) {
  Type value = as_value(check_expr(as->value));
  const auto* id = dyn_cast<Ident>(as->target);
  if (const auto* ix = dyn_cast<Index>(as->target)) {
    check_item_assign(ix, value, as->value);
    return;
  }
  if (!id) {
    check_expr(as->target);  // x.y = t: checked as an expression
    return;
  }
  SymbolId s = lookup(id->name);
  if (s == kNoSymbol) {  // `x = e` declares x
    OriginId o = add_origin(std::string(id->name), id->range);
    adopt_origin(value, o);
    s = declare(id->name, SymbolKind::Variable, id->range, as->range, value, false);
    reference(id, s, true);
    out_.references.pop_back();  // the declaration itself is not a reference
    out_.expr_types[id->id] = value;
    return;
  }
  reference(id, s, true);
  Symbol& sym = out_.symbols[s];
  if (sym.kind == SymbolKind::Function) {
    sink_
        .report(DiagCode::E0416, id->range, fmt::format("cannot assign to function `{}`", id->name))
        .note(sym.name_range, "declared here");
    return;
  }
  const Type& before = current_[s];
  if (annotated_[s]) {
    check_against_annotation(sym.type, value, as->value, fmt::format("`{}`", id->name),
                             DiagCode::E0416);
  } else if (!before.is_unknown() && !value.is_unknown() && before.kind != value.kind &&
             !(before.is_number() && value.is_number())) {
    sink_
        .report(DiagCode::E0416, as->value->range,
                fmt::format("`{}` holds a {} but is assigned a {}", id->name,
                            type_kind_name(before.kind), type_kind_name(value.kind)))
        .note(sym.name_range, fmt::format("`{}` declared here", id->name));
  }
  adopt_origin(value, add_origin(std::string(id->name), id->range));
  out_.expr_types[id->id] = value;
  set_current_type(s, annotated_[s] ? refine(sym.type, value) : value);
}

// `x[items] = v`: a list or map takes one item; a tensor takes indices and slices (the region
// they select, with NumPy's broadcasting of v to it), through a variable or a list element;
// `x[i][j] = v` on a tensor would write into a copy, so it is an error.
void Checker::check_item_assign(const Index* target, const Type& value, const Expr* value_expr) {
  const Type region = as_value(check_expr(target));
  const Type obj = as_value(out_.expr_types[target->object->id]);
  const bool one_item = target->items.size() == 1 && !isa<Slice>(target->items[0]);
  switch (obj.kind) {
    case TypeKind::Unknown:
      return;
    case TypeKind::List:
    case TypeKind::Map:
      if (!one_item)
        sink_.report(DiagCode::E0418, target->range,
                     fmt::format("a {} takes one index in an assignment; slice assignment is for "
                                 "tensors",
                                 type_kind_name(obj.kind)));
      // `m[k] = v` with a key other than a literal (which no entry read trusts, see map_field):
      // m's entries are no longer known.
      if (const auto* id = dyn_cast<Ident>(target->object); one_item && obj.fields && id &&
                                                            out_.expr_symbol[id->id] != kNoSymbol &&
                                                            !isa<StringLit>(target->items[0])) {
        Type forgotten = current_[out_.expr_symbol[id->id]];
        forgotten.fields = nullptr;
        set_current_type(out_.expr_symbol[id->id], std::move(forgotten));
      }
      return;
    case TypeKind::Tensor:
      break;
    default:
      sink_.report(DiagCode::E0418, target->range,
                   fmt::format("a {} does not support item assignment", obj.to_string()));
      return;
  }
  const Expr* root = target->object;
  while (const auto* p = dyn_cast<Paren>(root)) root = p->inner;
  const auto* inner = dyn_cast<Index>(root);
  if (inner && as_value(out_.expr_types[inner->object->id]).is(TypeKind::Tensor)) {
    sink_.report(DiagCode::E0418, target->range,
                 "this assigns into a copy: `x[i]` of a tensor is a new tensor; index once, "
                 "`x[i, j] = v`");
    return;
  }
  if (value.is_unknown() || value.is_number()) return;
  Type src = value;
  if (src.is(TypeKind::List) && src.elem != TypeKind::Tensor && src.elem != TypeKind::String)
    src.kind = TypeKind::Tensor;  // a nested list of numbers is a tensor literal
  if (!src.is_tensor()) {
    sink_.report(
        DiagCode::E0401, value_expr->range,
        fmt::format("a tensor slice is assigned a tensor or a number, not {}", value.to_string()));
    return;
  }
  if (!region.is_tensor() || !region.rank_known || !src.rank_known) return;
  bool fits = src.dims.size() <= region.dims.size();
  for (size_t i = 0; fits && i < src.dims.size(); ++i) {
    const Dim& v = src.dims[src.dims.size() - 1 - i];
    const Dim& r = region.dims[region.dims.size() - 1 - i];
    fits = v.same(r) || (v.is_const() && v.value == 1) || v.is_unknown() || r.is_unknown();
  }
  if (!fits)
    sink_.report(DiagCode::E0418, value_expr->range,
                 fmt::format("a value of shape {} does not fit the slice it is assigned to, {}",
                             src.to_string(), region.to_string()));
}

void Checker::set_current_type(SymbolId s, Type t) {
  assign_log_.emplace_back(s, current_[s]);
  current_[s] = std::move(t);
}

void Checker::check_tensor_decl(const TensorDecl* td) {
  OriginId o = add_origin(std::string(td->name), td->name_range);
  Type declared = resolve_type(td->type, o);
  if (!declared.is_unknown() && !declared.is_tensor()) {
    sink_.report(
        DiagCode::E0401, td->type->range,
        fmt::format("a tensor declaration needs a tensor type, not {}", declared.to_string()));
    declared = Type::unknown();
  }
  if (td->init) {
    Type value = as_value(check_expr(td->init));
    if (value.is(TypeKind::List) && value.elem != TypeKind::Tensor) {  // a literal: its shape
      value.kind = TypeKind::Tensor;
    }
    check_against_annotation(declared, value, td->init, fmt::format("`{}`", td->name),
                             DiagCode::E0407);
    declared = refine(declared, value);
  }
  SymbolId s = declare(td->name, SymbolKind::Tensor, td->name_range, td->range, declared);
  annotated_[s] = true;
}

void Checker::check_return(const Return* r) {
  Type t = r->value ? as_value(check_expr(r->value)) : Type::of(TypeKind::None);
  if (current_fn_ == kNoFunction) {
    sink_.report(DiagCode::E0307, r->range, "`return` outside a function");
    return;
  }
  if (r->value) check_result(t, r->value);
  fn_returns_.push_back(t);
}

// Unknown dims of a declared type take the value's known ones.
Type Checker::refine(const Type& declared, const Type& value) {
  if (!declared.is_tensor() || !value.is_tensor() || !declared.rank_known) return declared;
  if (!value.rank_known || value.dims.size() != declared.dims.size()) return declared;
  Type t = declared;
  for (size_t i = 0; i < t.dims.size(); ++i)
    if (t.dims[i].is_unknown()) t.dims[i] = value.dims[i];
  return t;
}

void Checker::check_against_annotation(const Type& declared, const Type& value, const Expr* e,
                                       std::string_view what, DiagCode code) {
  if (declared.is_unknown() || value.is_unknown()) {
    if (declared.is_tensor() && declared.rank_known && value.is_unknown())
      add_runtime_check(declared, e, what);
    return;
  }
  bool kind_ok = declared.kind == value.kind ||
                 (declared.is(TypeKind::Float) && value.is(TypeKind::Int)) ||
                 declared.is(TypeKind::Unknown);
  if (!kind_ok) {
    sink_.report(DiagCode::E0401, e->range,
                 fmt::format("{} is declared {} but the value is {}", what, declared.to_string(),
                             value.to_string()));
    return;
  }
  if (!declared.is_tensor() || !declared.rank_known) return;
  if (!value.rank_known) {
    add_runtime_check(declared, e, what);
    return;
  }
  if (declared.dims.size() != value.dims.size()) {
    sink_.report(code == DiagCode::E0407 ? DiagCode::E0404 : code, e->range,
                 fmt::format("{} is declared {} (rank {}) but the value is {} (rank {})", what,
                             declared.to_string(), declared.dims.size(), value.to_string(),
                             value.dims.size()));
    return;
  }
  std::vector<std::pair<std::string, Dim>> local;  // size variables bound by this annotation
  bool needs_runtime = false;
  for (size_t i = 0; i < declared.dims.size(); ++i) {
    const Dim& d = declared.dims[i];
    const Dim& v = value.dims[i];
    if (d.is_unknown()) continue;
    if (v.is_unknown()) {
      needs_runtime = true;
      continue;
    }
    const Dim* expect = &d;
    if (d.is_var() &&
        std::find(rigid_vars_.begin(), rigid_vars_.end(), d.name) == rigid_vars_.end()) {
      auto it =
          std::find_if(local.begin(), local.end(), [&](auto& p) { return p.first == d.name; });
      if (it == local.end()) {
        local.emplace_back(d.name, v);
        continue;
      }
      expect = &it->second;
    }
    if (!expect->same(v)) {
      std::string want =
          expect == &d ? describe(d) : fmt::format("{} = {}", d.name, describe(*expect));
      auto& diag = sink_.report(
          code, e->range,
          fmt::format("{} is declared {} but the value is {}: dim {} is {} vs {}", what,
                      declared.to_string(), value.to_string(), i, want, describe(v)));
      note_origins(diag, *expect, v);
      return;
    }
  }
  if (needs_runtime) add_runtime_check(declared, e, what, /*rank_known=*/true);
}

namespace {

// Where a size variable was first written: parameter `param` (0 outside signatures), dim `dim`.
struct FirstSize {
  std::string_view name;
  uint32_t param, dim;
};

// The dims of `t` as run-time expectations: constants must match; a size variable already in
// `seen` must equal its first dim (`repeat` builds that check); a new one is added to `seen`.
template <class Repeat>
std::vector<ExpectedDim> expected_dims(const Type& t, uint32_t param, std::vector<FirstSize>& seen,
                                       Repeat repeat) {
  std::vector<ExpectedDim> out;
  for (uint32_t j = 0; j < t.dims.size(); ++j) {
    const Dim& d = t.dims[j];
    ExpectedDim x;
    if (d.is_const()) {
      x.kind = ExpectedDim::Kind::Const;
      x.value = d.value;
    } else if (d.is_var()) {
      auto it = std::find_if(seen.begin(), seen.end(), [&](auto& s) { return s.name == d.name; });
      if (it == seen.end())
        seen.push_back({d.name, param, j});
      else
        x = repeat(*it, j);
    }
    out.push_back(std::move(x));
  }
  return out;
}

}  // namespace

void Checker::add_runtime_check(const Type& declared, const Expr* e, std::string_view what,
                                bool rank_known) {
  RuntimeCheck rc;
  rc.expr_id = e->id;
  rc.rank_unknown = !rank_known;
  rc.range = e->range;
  rc.message = fmt::format("{} must have shape {}", what, declared.to_string());
  // A size variable written twice (`float16[K, K]`) makes its second dim equal to its first;
  // the function's own size variables are only known by name here, so they fix the rank.
  std::vector<FirstSize> seen;
  rc.dims = expected_dims(declared, 0, seen, [&](const FirstSize& first, uint32_t j) {
    ExpectedDim x;
    x.kind = ExpectedDim::Kind::SameAs;
    x.expr_id = e->id;
    x.dim = first.dim;
    x.message = fmt::format(
        "{} must have shape {}: size `{}` differs between dimension {} and "
        "dimension {}",
        what, declared.to_string(), first.name, first.dim, j);
    return x;
  });
  out_.runtime_checks.push_back(std::move(rc));
}

void Checker::add_entry_checks(uint32_t fn) {
  const FunctionInfo& f = out_.functions[fn];
  const std::string fname = out_.symbols[f.symbol].name;
  std::vector<FirstSize> seen;
  for (uint32_t k = 0; k < f.params.size(); ++k) {
    const Type& P = f.params[k];
    if (!P.is_tensor() || !P.rank_known) continue;
    RuntimeCheck rc;
    rc.site = RuntimeCheck::Site::Entry;
    rc.function = fn;
    rc.param = k;
    rc.range = f.decl->params[k].name_range;
    rc.message =
        fmt::format("argument `{}` of `{}` must be {}", f.param_names[k], fname, P.to_string());
    rc.dims = expected_dims(P, k, seen, [&](const FirstSize& first, uint32_t j) {
      ExpectedDim x;
      x.kind = ExpectedDim::Kind::SameAsParam;
      x.param = first.param;
      x.dim = first.dim;
      x.message = fmt::format(
          "size `{}` of `{}` differs between `{}` (dimension {}) and `{}` "
          "(dimension {})",
          first.name, fname, f.param_names[first.param], first.dim, f.param_names[k], j);
      return x;
    });
    out_.runtime_checks.push_back(std::move(rc));
  }
}

// --- types written in the source ----------------------------------------------------------------

Type Checker::resolve_type(const TypeRef* t, OriginId origin) {
  auto element = [&](std::string_view name, SourceRange range) -> bool {
    switch (classify_element(name)) {
      case ElementClass::F16:
        return true;
      case ElementClass::OtherFloat:
        sink_.report(DiagCode::W0301, range,
                     fmt::format("`{}` values are stored and computed as float16", name));
        return true;
      case ElementClass::Integer:
        sink_.report(DiagCode::E0309, range,
                     fmt::format("`{}` tensors are not supported: TL tensors are floating point "
                                 "(float16)",
                                 name));
        return false;
      case ElementClass::Unknown:
        return false;
    }
    return false;
  };
  if (const auto* tt = dyn_cast<TensorType>(t)) {
    if (classify_element(tt->element) == ElementClass::Unknown) {
      sink_.report(DiagCode::E0308, tt->element_range,
                   fmt::format("unknown element type `{}`; TL tensors are float16", tt->element));
      return Type::unknown();
    }
    if (!element(tt->element, tt->element_range)) return Type::unknown();
    std::vector<Dim> dims;
    for (const ast::Dim& d : tt->dims) {
      switch (d.kind) {
        case ast::Dim::Kind::Int:
          dims.push_back(Dim::constant(d.value, origin));
          break;
        case ast::Dim::Kind::Name:
          // In a specialization, a size its call fixed (`N` = 4) is that constant.
          dims.push_back(bind_size(Dim::var(std::string(d.name), origin)));
          break;
        case ast::Dim::Kind::Unknown:
          dims.push_back(Dim::unknown(origin));
          break;
      }
    }
    return Type::tensor(std::move(dims));
  }
  if (const auto* nt = dyn_cast<NamedType>(t)) {
    static constexpr std::pair<std::string_view, TypeKind> kNames[] = {
        {"int", TypeKind::Int},       {"float", TypeKind::Float}, {"bool", TypeKind::Bool},
        {"string", TypeKind::String}, {"Shape", TypeKind::Shape}, {"Model", TypeKind::Model},
        {"Map", TypeKind::Map},       {"List", TypeKind::List},   {"none", TypeKind::None},
        {"Tensor", TypeKind::Tensor}, {"any", TypeKind::Unknown}};
    for (const auto& [n, k] : kNames)
      if (nt->name == n) return Type::of(k);
    if (classify_element(nt->name) != ElementClass::Unknown)
      return element(nt->name, nt->range) ? Type::tensor_unknown_rank() : Type::unknown();
    std::vector<std::string> names;
    for (const auto& [n, k] : kNames) names.emplace_back(n);
    names.emplace_back("float16");
    auto& d = sink_.report(DiagCode::E0308, nt->range, fmt::format("unknown type `{}`", nt->name));
    auto close = closest(nt->name, names);
    if (!close.empty())
      d.note({}, "did you mean " + join_names(close) + "?").fix(nt->range, close[0]);
    return Type::unknown();
  }
  return Type::unknown();
}

}  // namespace tl::sema
