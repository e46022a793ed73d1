// The syntactic lint rules: function_keyword, colon_equal, non_f16_annotation, unreachable_code,
// constant_condition, self_assignment, float_equality (literal operands), and
// loop_invariant_get_tensor.
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "compiler/sema/sema.h"
#include "formatter/lint_internal.h"

namespace tl::lint {

using namespace ast;

const Expr* strip_parens(const Expr* e) {
  while (const Paren* p = dyn_cast<Paren>(e)) e = p->inner;
  return e;
}

namespace {

bool is_wide_float(std::string_view element) {
  return element == "float32" || element == "float64" || element == "bfloat16";
}

// The name at the root of `a`, `a.b`, `a[i].c` (empty when the root is not a name).
std::string_view root_name(const Expr* e) {
  while (true) {
    e = strip_parens(e);
    if (const Ident* i = dyn_cast<Ident>(e)) return i->name;
    if (const Member* m = dyn_cast<Member>(e))
      e = m->object;
    else if (const Index* x = dyn_cast<Index>(e))
      e = x->object;
    else
      return {};
  }
}

// Same expression, written the same way, with no call (which could have effects).
bool same_place(const Expr* a, const Expr* b) {
  a = strip_parens(a);
  b = strip_parens(b);
  if (a->kind != b->kind) return false;
  switch (a->kind) {
    case NodeKind::Ident:
      return cast<Ident>(a)->name == cast<Ident>(b)->name;
    case NodeKind::IntLit:
      return cast<IntLit>(a)->value == cast<IntLit>(b)->value;
    case NodeKind::StringLit:
      return cast<StringLit>(a)->value == cast<StringLit>(b)->value;
    case NodeKind::Member:
      return cast<Member>(a)->name == cast<Member>(b)->name &&
             same_place(cast<Member>(a)->object, cast<Member>(b)->object);
    case NodeKind::Index: {
      const Index* x = cast<Index>(a);
      const Index* y = cast<Index>(b);
      if (x->items.size() != y->items.size() || !same_place(x->object, y->object)) return false;
      for (uint32_t i = 0; i < x->items.size(); ++i)
        if (!same_place(x->items[i], y->items[i])) return false;
      return true;
    }
    default:
      return false;
  }
}

bool is_float_literal(const Expr* e) {
  e = strip_parens(e);
  if (const Unary* u = dyn_cast<Unary>(e); u && u->op == UnaryOp::Neg) e = strip_parens(u->operand);
  return isa<FloatLit>(e);
}

// A statement after which the rest of its block never runs.
bool terminates(const Stmt* s) {
  switch (s->kind) {
    case NodeKind::Return:
    case NodeKind::Break:
    case NodeKind::Continue:
      return true;
    case NodeKind::Block:
      for (const Stmt* c : cast<Block>(s)->stmts)
        if (terminates(c)) return true;
      return false;
    case NodeKind::If: {
      const If* f = cast<If>(s);
      return f->else_branch && terminates(f->then_block) && terminates(f->else_branch);
    }
    default:
      return false;
  }
}

class SyntaxRules {
 public:
  SyntaxRules(const SyntaxTree& tree, const sema::Analysis* analysis, DiagnosticSink& out)
      : tree_(tree), analysis_(analysis), out_(out) {}

  void run() {
    traverse(
        tree_.module(), [&](const Node* n) { return enter(n); }, [&](const Node* n) { leave(n); });
  }

 private:
  struct Loop {
    const Stmt* stmt;
    std::set<std::string_view> assigned;  // names given a value anywhere in the loop
  };

  // Checks `n`; loops and functions open a context that leave() closes.
  bool enter(const Node* n) {
    switch (n->kind) {
      case NodeKind::FnDecl: {
        const FnDecl* f = cast<FnDecl>(n);
        if (f->keyword == FnKeyword::Function) {
          SourceRange kw{f->range.file, f->range.begin, f->range.begin + 8};
          out_.report(DiagCode::W0607, kw, "'function' is spelled 'fn' in canonical TL")
              .fix(kw, "fn");
        }
        // A function body is not part of an enclosing loop (declarations are top level anyway).
        saved_loops_.push_back(std::move(loops_));
        loops_.clear();
        return true;
      }
      case NodeKind::Let: {
        const Let* l = cast<Let>(n);
        if (l->spelling == LetSpelling::ColonEqual) colon_equal(l);
        break;
      }
      case NodeKind::TensorType: {
        const TensorType* t = cast<TensorType>(n);
        if (is_wide_float(t->element)) wide_float(t->element, t->element_range);
        break;
      }
      case NodeKind::NamedType: {
        const NamedType* t = cast<NamedType>(n);
        if (is_wide_float(t->name)) wide_float(t->name, t->range);
        break;
      }
      case NodeKind::TensorCtor: {
        const TensorCtor* t = cast<TensorCtor>(n);
        if (is_wide_float(t->element)) wide_float(t->element, t->element_range);
        break;
      }
      case NodeKind::Block:
        unreachable(cast<Block>(n)->stmts);
        break;
      case NodeKind::Module:
        unreachable(cast<Module>(n)->items);
        break;
      case NodeKind::If:
        constant_if(cast<If>(n));
        break;
      case NodeKind::While: {
        const While* w = cast<While>(n);
        const BoolLit* b = dyn_cast<BoolLit>(strip_parens(w->cond));
        if (b && !b->value)
          out_.report(DiagCode::W0610, w->cond->range,
                      "the condition is always false: the loop body never runs");
        list_growth_in_condition(w);
        open_loop(w);
        return true;
      }
      case NodeKind::For:
        open_loop(cast<For>(n));
        return true;
      case NodeKind::Assign: {
        const Assign* a = cast<Assign>(n);
        if (same_place(a->target, a->value))
          out_.report(DiagCode::W0611, a->range,
                      fmt::format("'{}' is assigned to itself", tree_.text(a->target->range)));
        break;
      }
      case NodeKind::Binary: {
        const Binary* b = cast<Binary>(n);
        if ((b->op == BinaryOp::Eq || b->op == BinaryOp::Ne) &&
            (is_float_literal(b->lhs) || is_float_literal(b->rhs)))
          float_equality(b);
        break;
      }
      case NodeKind::Call:
        if (!loops_.empty()) get_tensor_in_loop(cast<Call>(n));
        break;
      default:
        break;
    }
    return true;
  }

  void leave(const Node* n) {
    if (isa<While>(n) || isa<For>(n)) {
      loops_.pop_back();
    } else if (isa<FnDecl>(n)) {
      loops_ = std::move(saved_loops_.back());
      saved_loops_.pop_back();
    }
  }

  // `while counter[0] < 10 { counter = counter + [1.0] }`: `+` on lists concatenates, so the
  // condition never changes (the original TensorLogic made `[1.0]` a tensor).
  void list_growth_in_condition(const While* w) {
    std::vector<std::string_view> names;
    walk(w->cond, [&](const Node* c) {
      if (const auto* id = dyn_cast<Ident>(c)) names.push_back(id->name);
      return true;
    });
    walk(w->body, [&](const Node* c) {
      const auto* a = dyn_cast<Assign>(c);
      const auto* target = a ? dyn_cast<Ident>(a->target) : nullptr;
      const auto* sum = a ? dyn_cast<Binary>(strip_parens(a->value)) : nullptr;
      if (!target || !sum || sum->op != BinaryOp::Add) return true;
      if (std::find(names.begin(), names.end(), target->name) == names.end()) return true;
      const auto* lhs = dyn_cast<Ident>(strip_parens(sum->lhs));
      const auto* list = dyn_cast<ListLit>(strip_parens(sum->rhs));
      if (!lhs || lhs->name != target->name || !list || list->elements.empty()) return true;
      if (!analysis_ || !analysis_->type_of(sum).is(sema::TypeKind::List)) return true;
      for (const Expr* e : list->elements)
        if (!isa<IntLit>(e) && !isa<FloatLit>(e)) return true;
      out_.report(DiagCode::W0616, a->range,
                  fmt::format("`{0} + [...]` makes a longer list (lists concatenate), and `{0}` is "
                              "in the loop's condition; for arithmetic make `{0}` a tensor "
                              "(`tensor([...])`)",
                              target->name))
          .note(w->cond->range, "the loop's condition");
      return true;
    });
  }

  void colon_equal(const Let* l) {
    const std::vector<Token>& toks = tree_.tokens();
    auto it = std::lower_bound(toks.begin(), toks.end(), l->name_range.end,
                               [](const Token& t, uint32_t b) { return t.begin < b; });
    if (it == toks.end() || it->kind != TokenKind::ColonEqual) return;
    SourceRange op{l->range.file, it->begin, it->end};
    SourceRange head{l->range.file, l->name_range.begin, it->end};
    out_.report(DiagCode::W0614, head,
                fmt::format("'{} :=' is the older spelling of 'let {} ='", l->name, l->name))
        .fix({l->range.file, l->name_range.begin, l->name_range.begin}, "let ")
        .fix(op, "=");
  }

  void wide_float(std::string_view element, SourceRange r) {
    out_.report(DiagCode::W0608, r,
                fmt::format("'{}' annotation: TL stores and computes tensors in float16, so this "
                            "value is float16 whatever the annotation says",
                            element))
        .fix(r, "float16");
  }

  template <class NodeList>
  void unreachable(const NodeList& stmts) {
    for (uint32_t i = 0; i + 1 < stmts.size(); ++i) {
      if (!terminates(stmts[i])) continue;
      SourceRange dead = SourceRange::join(stmts[i + 1]->range, stmts.back()->range);
      out_.report(DiagCode::W0609, dead, "unreachable code: it never runs")
          .note(stmts[i]->range, "control leaves the block here");
      return;
    }
  }

  void constant_if(const If* f) {
    const Expr* c = strip_parens(f->cond);
    bool negated = false;
    while (const Unary* u = dyn_cast<Unary>(c)) {
      if (u->op != UnaryOp::Not) break;
      negated = !negated;
      c = strip_parens(u->operand);
    }
    const BoolLit* b = dyn_cast<BoolLit>(c);
    if (!b) return;
    bool value = b->value != negated;
    out_.report(DiagCode::W0610, f->cond->range,
                value ? "the condition is always true: the else branch (if any) never runs"
                      : "the condition is always false: this branch never runs");
  }

  void float_equality(const Binary* b) {
    out_.report(DiagCode::W0612, b->op_range,
                fmt::format("'{}' on floating-point values: rounding (and float16's 11-bit "
                            "precision) make exact equality fragile; compare with a tolerance, "
                            "such as abs(a - b) < 1e-3",
                            binary_op_spelling(b->op)));
  }

  void open_loop(const Stmt* s) {
    Loop l{s, {}};
    if (const For* f = dyn_cast<For>(s)) l.assigned.insert(f->var);
    traverse(s, [&](const Node* n) {
      if (const Assign* a = dyn_cast<Assign>(n)) {
        std::string_view r = root_name(a->target);
        if (!r.empty()) l.assigned.insert(r);
      } else if (const Let* let = dyn_cast<Let>(n)) {
        l.assigned.insert(let->name);
      } else if (const For* inner = dyn_cast<For>(n)) {
        l.assigned.insert(inner->var);
      }
      return true;
    });
    loops_.push_back(std::move(l));
  }

  void get_tensor_in_loop(const Call* c) {
    const Expr* model = nullptr;
    const Expr* name = nullptr;
    if (const Member* m = dyn_cast<Member>(c->callee); m && m->name == "get_tensor") {
      if (c->args.size() == 1 && !c->args[0].named()) {
        model = m->object;
        name = c->args[0].value;
      }
    } else if (const Ident* i = dyn_cast<Ident>(c->callee); i && i->name == "get_tensor") {
      if (c->args.size() == 2 && !c->args[0].named() && !c->args[1].named()) {
        model = c->args[0].value;
        name = c->args[1].value;
      }
    }
    if (!model || !isa<StringLit>(strip_parens(name))) return;
    std::string_view root = root_name(model);
    if (root.empty()) return;
    const Loop& inner = loops_.back();
    if (inner.assigned.count(root)) return;  // the model changes inside the loop
    out_.report(DiagCode::W0613, c->range,
                fmt::format("get_tensor({}) with a constant name runs on every iteration; load "
                            "the tensor once, before the loop",
                            tree_.text(name->range)))
        .note(SourceRange{inner.stmt->range.file, inner.stmt->range.begin,
                          inner.stmt->range.begin + (isa<For>(inner.stmt) ? 3u : 5u)},
              "the loop");
  }

  const SyntaxTree& tree_;
  const sema::Analysis* analysis_;  // types, when the file was checked
  DiagnosticSink& out_;
  std::vector<Loop> loops_;                     // enclosing loops, innermost last
  std::vector<std::vector<Loop>> saved_loops_;  // loops outside the functions being visited
};

}  // namespace

void lint_syntax(const SyntaxTree& tree, const sema::Analysis* analysis, DiagnosticSink& out) {
  SyntaxRules(tree, analysis, out).run();
}

}  // namespace tl::lint
