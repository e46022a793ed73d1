// The scope rules, over the checker's symbol table (compiler/sema/sema.h): unused_variable,
// unused_model, unused_function, unused_import, shadowed_name, implicit_declaration, and the
// typed half of float_equality. No second resolver: which name means which declaration is the
// checker's answer (Analysis::symbols, references, expr_symbol).
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "compiler/sema/sema.h"
#include "formatter/lint_internal.h"

namespace tl::lint {

using namespace ast;
using sema::Analysis;
using sema::Symbol;
using sema::SymbolId;
using sema::SymbolKind;

namespace {

bool is_float_typed(const sema::Type& t) {
  return t.kind == sema::TypeKind::Float || t.kind == sema::TypeKind::Tensor;
}

bool is_load_model(const Expr* e) {
  const Call* c = dyn_cast<Call>(strip_parens(e));
  if (!c) return false;
  const Ident* callee = dyn_cast<Ident>(c->callee);
  return callee && callee->name == "load_model";
}

class ScopeRules {
 public:
  ScopeRules(const SyntaxTree& tree, const Analysis& a, const SourceManager* sources,
             DiagnosticSink& out)
      : tree_(tree), a_(a), sources_(sources), out_(out), reads_(a.symbols.size(), 0) {}

  void run() {
    for (const sema::Reference& r : a_.references)
      if (!r.write && r.symbol < reads_.size()) ++reads_[r.symbol];
    collect();
    unused();
    shadowing();
    imports();
  }

 private:
  bool own(const Symbol& s) const {
    return !s.imported && s.name_range.file == tree_.source().id();
  }

  // One walk: initialisers by declared name, the scope tree and the scope of every declaration,
  // assignments that declare, typed `==`.
  void collect() {
    scopes_.push_back({0});  // the module; parent of itself
    open_.push_back(0);
    auto declared_in = [&](SourceRange name, uint32_t scope) { scope_at_[name.begin] = scope; };
    auto enter = [&](const Node* n) {
      switch (n->kind) {
        case NodeKind::Let:
          init_of_[cast<Let>(n)->name_range.begin] = cast<Let>(n)->init;
          declared_in(cast<Let>(n)->name_range, open_.back());
          break;
        case NodeKind::Assign: {
          const Assign* as = cast<Assign>(n);
          const Ident* id = dyn_cast<Ident>(as->target);
          if (!id) break;
          init_of_[id->range.begin] = as->value;
          declared_in(id->range, open_.back());
          SymbolId s = id->id < a_.expr_symbol.size() ? a_.expr_symbol[id->id] : sema::kNoSymbol;
          if (s < a_.symbols.size() && a_.symbols[s].name_range == id->range) {
            out_.report(DiagCode::W0606, id->range,
                        fmt::format("'{0} = ...' declares a new variable '{0}'; write 'let {0} = "
                                    "...' so that a declaration reads as one",
                                    id->name))
                .fix({as->range.file, as->range.begin, as->range.begin}, "let ");
          }
          break;
        }
        case NodeKind::Block:
        case NodeKind::FnDecl:
        case NodeKind::For: {
          uint32_t id = static_cast<uint32_t>(scopes_.size());
          scopes_.push_back({open_.back()});
          open_.push_back(id);
          if (const For* f = dyn_cast<For>(n)) declared_in(f->var_range, id);
          if (const FnDecl* f = dyn_cast<FnDecl>(n))
            for (const Param& p : f->params) declared_in(p.name_range, id);
          break;
        }
        case NodeKind::Binary: {
          const Binary* b = cast<Binary>(n);
          if ((b->op == BinaryOp::Eq || b->op == BinaryOp::Ne) && typed(b->lhs) && typed(b->rhs) &&
              (is_float_typed(a_.type_of(b->lhs)) || is_float_typed(a_.type_of(b->rhs))) &&
              !literal_float(b)) {
            out_.report(DiagCode::W0612, b->op_range,
                        fmt::format("'{}' on floating-point values: rounding (and float16's "
                                    "11-bit precision) make exact equality fragile; compare with "
                                    "a tolerance, such as abs(a - b) < 1e-3",
                                    binary_op_spelling(b->op)));
          }
          break;
        }
        default:
          break;
      }
      return true;
    };
    auto leave = [&](const Node* n) {
      if (isa<Block>(n) || isa<FnDecl>(n) || isa<For>(n)) open_.pop_back();
    };
    traverse(tree_.module(), enter, leave);
  }

  bool typed(const Expr* e) const { return e->id < a_.expr_types.size(); }
  // The syntactic pass already reports comparisons with a float literal.
  static bool literal_float(const Binary* b) {
    auto lit = [](const Expr* e) {
      e = strip_parens(e);
      if (const Unary* u = dyn_cast<Unary>(e); u && u->op == UnaryOp::Neg)
        e = strip_parens(u->operand);
      return isa<FloatLit>(e);
    };
    return lit(b->lhs) || lit(b->rhs);
  }

  // A program (top-level statements or a main block) runs by itself: what it declares and does
  // not use is dead. A library file's functions are used by the files that import it.
  bool is_program() const {
    for (const Stmt* s : tree_.module()->items)
      if (!isa<FnDecl>(s) && !isa<TensorDecl>(s) && !isa<ImportDecl>(s)) return true;
    return false;
  }

  void unused() {
    bool program = is_program();
    for (SymbolId id = 0; id < a_.symbols.size(); ++id) {
      const Symbol& s = a_.symbols[id];
      if (!own(s) || reads_[id] > 0 || s.name.starts_with('_')) continue;
      if (s.kind == SymbolKind::Variable || s.kind == SymbolKind::LoopVariable) {
        auto it = init_of_.find(s.name_range.begin);
        if (it != init_of_.end() && is_load_model(it->second)) {
          out_.report(DiagCode::W0604, s.name_range,
                      fmt::format("model '{}' is loaded but never used", s.name));
        } else {
          out_.report(DiagCode::W0601, s.name_range,
                      fmt::format("'{0}' is given a value but never read (call it _{0} if that "
                                  "is intended)",
                                  s.name));
        }
      } else if (s.kind == SymbolKind::Function && program) {
        out_.report(DiagCode::W0602, s.name_range,
                    fmt::format("function '{}' is never called", s.name));
      }
    }
  }

  // The scope (index in scopes_) a symbol is declared in: the module for hoisted declarations.
  uint32_t scope_of(const Symbol& s) const {
    if (!own(s) || s.global || s.kind == SymbolKind::Function || s.kind == SymbolKind::Tensor)
      return 0;
    auto it = scope_at_.find(s.name_range.begin);
    return it == scope_at_.end() ? 0 : it->second;
  }
  static bool hoisted(const Symbol& s) {
    return s.imported || s.kind == SymbolKind::Function || s.kind == SymbolKind::Tensor;
  }

  // For each declaration, look up its name in the enclosing scopes (a walk up the scope tree,
  // so the cost is the nesting depth, not the number of same-named symbols).
  void shadowing() {
    struct Key {
      uint32_t scope;
      std::string_view name;
      bool operator<(const Key& o) const {
        return scope != o.scope ? scope < o.scope : name < o.name;
      }
    };
    std::map<Key, SymbolId> first;  // the earliest declaration of a name in a scope
    auto offset = [&](const Symbol& s) { return hoisted(s) ? 0u : s.name_range.begin; };
    for (SymbolId id = 0; id < a_.symbols.size(); ++id) {
      const Symbol& s = a_.symbols[id];
      if (!own(s) && !s.imported) continue;
      auto [it, fresh] = first.try_emplace(Key{scope_of(s), s.name}, id);
      if (!fresh && offset(s) < offset(a_.symbols[it->second])) it->second = id;
    }
    for (SymbolId id = 0; id < a_.symbols.size(); ++id) {
      const Symbol& s = a_.symbols[id];
      if (!own(s) || hoisted(s)) continue;
      uint32_t scope = scope_of(s);
      while (scope != 0) {
        scope = scopes_[scope].parent;
        auto it = first.find(Key{scope, s.name});
        if (it == first.end()) continue;
        const Symbol& o = a_.symbols[it->second];
        if (!hoisted(o) && o.name_range.begin >= s.name_range.begin) continue;
        Diagnostic& d =
            out_.report(DiagCode::W0605, s.name_range,
                        fmt::format("'{}' shadows the {} of the same name in an enclosing scope",
                                    s.name, sema::symbol_kind_name(o.kind)));
        if (own(o)) d.note(o.name_range, "the shadowed declaration");
        break;
      }
    }
  }

  void imports() {
    if (!sources_) return;
    namespace fs = std::filesystem;
    fs::path dir = fs::path(tree_.source().path()).parent_path();
    for (const Stmt* item : tree_.module()->items) {
      const ImportDecl* imp = dyn_cast<ImportDecl>(item);
      if (!imp) continue;
      std::error_code ec;
      fs::path target = fs::weakly_canonical(dir / std::string(imp->path->value), ec);
      if (ec || !fs::exists(target)) continue;  // the checker reports a missing import
      bool used = false;
      for (SymbolId id = 0; id < a_.symbols.size() && !used; ++id) {
        const Symbol& s = a_.symbols[id];
        if (!s.imported || reads_[id] == 0) continue;
        const SourceFile* f = sources_->file(s.name_range.file);
        if (f && fs::weakly_canonical(f->path(), ec) == target) used = true;
      }
      if (!used)
        out_.report(DiagCode::W0603, imp->range,
                    fmt::format("nothing that '{}' declares is used here", imp->path->value));
    }
  }

  const SyntaxTree& tree_;
  const Analysis& a_;
  const SourceManager* sources_;
  DiagnosticSink& out_;
  std::vector<uint32_t> reads_;
  std::map<uint32_t, const Expr*> init_of_;  // declared name's offset -> its first value
  struct Scope {
    uint32_t parent;
  };
  std::vector<Scope> scopes_;              // 0: the module
  std::vector<uint32_t> open_;             // scopes enclosing the node being visited
  std::map<uint32_t, uint32_t> scope_at_;  // declared name's offset -> its scope
};

}  // namespace

void lint_scopes(const SyntaxTree& tree, const Analysis& analysis, const SourceManager* sources,
                 DiagnosticSink& out) {
  ScopeRules(tree, analysis, sources, out).run();
}

}  // namespace tl::lint
