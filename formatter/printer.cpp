// AST -> canonical text. The layout rules (docs/formatting.md):
//  - 4-space blocks, one statement per line, at most one blank line kept between statements;
//  - one space around binary operators (`**` included), none inside brackets;
//  - `fn` for `function`, `let x = e` for `x := e`;
//  - a bracketed list (arguments, parameters, list and map literals, indices) stays on one line
//    when it fits in 100 columns, otherwise one item per line with a trailing comma;
//  - a nested list literal written over several lines (or too long for one) is a matrix: one row
//    per line, columns right-aligned; as the first argument of a call it hugs the parentheses:
//    `tensor<float16>([` ... `], device: gpu)`.
#include <algorithm>
#include <string>
#include <vector>

#include "formatter/format.h"
#include "formatter/writer.h"

namespace tl::format {

using namespace ast;

namespace {

class Printer {
 public:
  explicit Printer(const SyntaxTree& tree) : tree_(tree), source_(tree.source()), w_(tree) {}

  std::string run() {
    w_.start_region();
    for (const Stmt* s : tree_.module()->items) {
      w_.newline();
      w_.statement_start(s->range.begin);
      stmt(s);
    }
    w_.newline();
    w_.flush_comments_before(UINT32_MAX);
    return w_.finish();
  }

 private:
  // --- source positions
  // ---------------------------------------------------------------------------
  SourceRange at(uint32_t begin, uint32_t size) const {
    return {source_.id(), begin, begin + size};
  }
  SourceRange last_char(SourceRange r) const { return {r.file, r.end - 1, r.end}; }
  SourceRange first_char(SourceRange r) const { return {r.file, r.begin, r.begin + 1}; }
  // The token of kind `k` among the few that start at or after `from` (skipping separators such as
  // a trailing comma); an empty range when there is none (the text is then written unanchored).
  SourceRange find(uint32_t from, TokenKind k) const {
    const std::vector<Token>& toks = tree_.tokens();
    auto it = std::lower_bound(toks.begin(), toks.end(), from,
                               [](const Token& t, uint32_t b) { return t.begin < b; });
    for (int n = 0; it != toks.end() && n < 4; ++it, ++n) {
      if (it->kind == k) return {source_.id(), it->begin, it->end};
      if (it->kind != TokenKind::Comma && it->kind != TokenKind::Greater &&
          it->kind != TokenKind::Semicolon)
        break;
    }
    return {};
  }
  void anchored(SourceRange r, std::string_view text) {
    if (r.valid())
      w_.token(r, text);
    else
      w_.text(text);
  }
  bool newline_between(uint32_t a, uint32_t b) const {
    return a < b && source_.text().substr(a, b - a).find('\n') != std::string_view::npos;
  }

  // --- lists
  // --------------------------------------------------------------------------------------- `open
  // item, item, ... close` on one line when it fits (ending `reserve` columns before the limit),
  // else one item per line with a trailing comma. `hug_first`: a first item that breaks over lines
  // may share its first and last line with the brackets.
  template <class Item>
  void list(SourceRange open, std::string_view o, uint32_t n, Item&& item, SourceRange close,
            std::string_view c, bool force_break = false, int reserve = 0, bool hug_first = false) {
    anchored(open, o);
    if (n == 0) {
      anchored(close, c);
      return;
    }
    auto flat = [&] {
      for (uint32_t i = 0; i < n && !w_.failed(); ++i) {
        if (i) {
          w_.text(",");
          w_.space();
        }
        item(i);
      }
      anchored(close, c);
    };
    if (force_break) {
      if (w_.flat()) {
        w_.fail();
        return;
      }
    } else if (w_.try_flat(flat, reserve)) {
      return;
    }
    if (hug_first) {
      Writer::State before = w_.state();
      item(0);
      bool multiline = w_.state().size > before.size &&
                       w_.text_since(before.size).find('\n') != std::string_view::npos;
      if (multiline && w_.try_flat([&] {
            for (uint32_t i = 1; i < n && !w_.failed(); ++i) {
              w_.text(",");
              w_.space();
              item(i);
            }
            anchored(close, c);
          })) {
        return;
      }
      w_.restore(before);
    }
    w_.indent();
    for (uint32_t i = 0; i < n; ++i) {
      w_.newline();
      item(i);
      w_.text(",");
    }
    w_.dedent();
    w_.newline();
    anchored(close, c);
  }

  void args(SourceRange open, NodeList<Arg> as, SourceRange close) {
    bool hug = !as.empty() && !as[0].named() && isa<ListLit>(as[0].value);
    list(
        open, "(", as.size(), [&](uint32_t i) { arg(as[i]); }, close, ")", false, 0, hug);
  }

  void arg(const Arg& a) {
    if (a.named()) {
      w_.token(a.name_range, a.name);
      w_.text(":");
      w_.space();
    }
    expr(a.value);
  }

  // --- statements
  // ----------------------------------------------------------------------------------
  void block(const Block* b) {
    SourceRange close = last_char(b->range);
    w_.token(first_char(b->range), "{");
    if (b->stmts.empty() && !w_.has_comments_in(b->range.begin, b->range.end)) {
      w_.token(close, "}");
      return;
    }
    w_.indent();
    w_.start_region();
    for (const Stmt* s : b->stmts) {
      w_.newline();
      w_.statement_start(s->range.begin);
      stmt(s);
    }
    w_.newline();
    w_.flush_comments_before(close.begin);
    w_.dedent();
    w_.newline();
    w_.token(close, "}");
  }

  void keyword(uint32_t begin, std::string_view kw) { w_.token(at(begin, kw.size()), kw); }

  void stmt(const Stmt* s) {
    switch (s->kind) {
      case NodeKind::Let: {
        const Let* l = cast<Let>(s);
        if (l->spelling == LetSpelling::Let)
          keyword(l->range.begin, "let");
        else
          w_.text("let");
        w_.space();
        w_.token(l->name_range, l->name);
        if (l->type) {
          w_.text(":");
          w_.space();
          type(l->type);
        }
        w_.space();
        w_.text("=");
        w_.space();
        expr(l->init);
        break;
      }
      case NodeKind::Assign: {
        const Assign* a = cast<Assign>(s);
        expr(a->target);
        w_.space();
        w_.text("=");
        w_.space();
        expr(a->value);
        break;
      }
      case NodeKind::ExprStmt:
        expr(cast<ExprStmt>(s)->expr);
        break;
      case NodeKind::If:
        if_stmt(cast<If>(s));
        break;
      case NodeKind::While: {
        const While* wh = cast<While>(s);
        keyword(wh->range.begin, "while");
        w_.space();
        expr(wh->cond);
        w_.space();
        block(wh->body);
        break;
      }
      case NodeKind::For: {
        const For* f = cast<For>(s);
        keyword(f->range.begin, "for");
        w_.space();
        w_.token(f->var_range, f->var);
        w_.space();
        anchored(find(f->var_range.end, TokenKind::In), "in");
        w_.space();
        expr(f->iterable);
        w_.space();
        block(f->body);
        break;
      }
      case NodeKind::Break:
        keyword(s->range.begin, "break");
        break;
      case NodeKind::Continue:
        keyword(s->range.begin, "continue");
        break;
      case NodeKind::Return: {
        const Return* r = cast<Return>(s);
        keyword(r->range.begin, "return");
        if (r->value) {
          w_.space();
          expr(r->value);
        }
        break;
      }
      case NodeKind::Block:
        block(cast<Block>(s));
        break;
      case NodeKind::FnDecl:
        fn_decl(cast<FnDecl>(s));
        break;
      case NodeKind::TensorDecl: {
        const TensorDecl* t = cast<TensorDecl>(s);
        keyword(t->range.begin, "tensor");
        w_.space();
        w_.token(t->name_range, t->name);
        w_.text(":");
        w_.space();
        type(t->type);
        if (t->qualifier != Qualifier::None) {
          w_.space();
          w_.text(t->qualifier == Qualifier::Learnable ? "learnable" : "frozen");
        }
        if (t->init) {
          w_.space();
          w_.text("=");
          w_.space();
          expr(t->init);
        }
        break;
      }
      case NodeKind::ImportDecl: {
        const ImportDecl* i = cast<ImportDecl>(s);
        keyword(i->range.begin, "import");
        w_.space();
        expr(i->path);
        break;
      }
      case NodeKind::MainBlock: {
        const MainBlock* m = cast<MainBlock>(s);
        keyword(m->range.begin, "main");
        w_.space();
        block(m->body);
        break;
      }
      default:  // ErrorStmt: never formatted (files with errors are left alone); keep the text
        w_.token(s->range);
        break;
    }
  }

  void if_stmt(const If* f) {
    keyword(f->range.begin, "if");
    w_.space();
    expr(f->cond);
    w_.space();
    block(f->then_block);
    if (!f->else_branch) return;
    SourceRange else_kw = find(f->then_block->range.end, TokenKind::Else);
    // A comment between `}` and `else` keeps them on separate lines, as in the source.
    if (else_kw.valid() && w_.has_comments_in(f->then_block->range.end, else_kw.begin))
      w_.newline();
    else
      w_.space();
    anchored(else_kw, "else");
    w_.space();
    if (const If* elif = dyn_cast<If>(f->else_branch))
      if_stmt(elif);
    else
      block(cast<Block>(f->else_branch));
  }

  void fn_decl(const FnDecl* f) {
    // `function` is the same keyword: written `fn`.
    w_.token(at(f->range.begin, f->keyword == FnKeyword::Fn ? 2 : 8), "fn");
    w_.space();
    w_.token(f->name_range, f->name);
    SourceRange open = find(f->name_range.end, TokenKind::LParen);
    uint32_t after = f->params.empty() ? open.end : f->params.back().range.end;
    SourceRange close = find(after, TokenKind::RParen);
    int reserve = 2;  // " {"
    if (f->return_type) {
      std::string t;
      if (w_.measure_flat([&] { type(f->return_type); }, &t))
        reserve += 4 + static_cast<int>(t.size());
    }
    list(
        open, "(", f->params.size(),
        [&](uint32_t i) {
          const Param& p = f->params[i];
          w_.token(p.name_range, p.name);
          if (p.type) {
            w_.text(":");
            w_.space();
            type(p.type);
          }
          if (p.default_value) {
            w_.space();
            w_.text("=");
            w_.space();
            expr(p.default_value);
          }
        },
        close, ")", false, reserve);
    if (f->return_type) {
      w_.space();
      w_.text("->");
      w_.space();
      type(f->return_type);
    }
    w_.space();
    block(f->body);
  }

  // --- types
  // ---------------------------------------------------------------------------------------
  void type(const TypeRef* t) {
    if (const TensorType* tt = dyn_cast<TensorType>(t)) {
      w_.token(tt->element_range, tt->element);
      w_.text("[");
      for (uint32_t i = 0; i < tt->dims.size(); ++i) {
        if (i) {
          w_.text(",");
          w_.space();
        }
        w_.token(tt->dims[i].range);
      }
      w_.token(last_char(tt->range), "]");
    } else if (const NamedType* nt = dyn_cast<NamedType>(t)) {
      w_.token(nt->range, nt->name);
    } else {
      w_.token(t->range);
    }
  }

  // --- expressions
  // ---------------------------------------------------------------------------------
  void expr(const Expr* e) {
    if (w_.flat() && w_.failed()) return;
    switch (e->kind) {
      case NodeKind::IntLit:  // as written (a destructuring's indices have no text of their own)
        w_.token(e->range, cast<IntLit>(e)->text);
        break;
      case NodeKind::FloatLit:
      case NodeKind::StringLit:
        w_.token(e->range);
        break;
      // Python's True / False / None are written true / false / none.
      case NodeKind::BoolLit:
        w_.token(e->range, cast<BoolLit>(e)->value ? "true" : "false");
        break;
      case NodeKind::Ident:
        w_.token(e->range, cast<Ident>(e)->name);
        break;
      case NodeKind::Unary: {
        const Unary* u = cast<Unary>(e);
        w_.token(first_char(u->range), unary_op_spelling(u->op));
        // `- -x`, not `--x` (which reads as a decrement).
        const Unary* inner = dyn_cast<Unary>(u->operand);
        if (inner && inner->op == u->op && u->op == UnaryOp::Neg) w_.space();
        expr(u->operand);
        break;
      }
      case NodeKind::Binary: {
        // `a + b + c + ...` nests to the left as deep as it is long: walk that spine with a
        // loop, not recursion (right operands are shallow: the parser bounds their depth).
        std::vector<const Binary*> spine;
        const Expr* left = e;
        while (const Binary* b = dyn_cast<Binary>(left)) {
          spine.push_back(b);
          left = b->lhs;
        }
        expr(left);
        for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
          if (w_.flat() && w_.failed()) return;
          w_.space();
          w_.token((*it)->op_range, binary_op_spelling((*it)->op));
          w_.space();
          expr((*it)->rhs);
        }
        break;
      }
      case NodeKind::Call: {
        const Call* c = cast<Call>(e);
        expr(c->callee);
        args(find(c->callee->range.end, TokenKind::LParen), c->args, last_char(c->range));
        break;
      }
      case NodeKind::Member: {
        const Member* m = cast<Member>(e);
        expr(m->object);
        w_.text(".");
        w_.token(m->name_range, m->name);
        break;
      }
      case NodeKind::Index: {
        const Index* ix = cast<Index>(e);
        expr(ix->object);
        list(
            find(ix->object->range.end, TokenKind::LBracket), "[", ix->items.size(),
            [&](uint32_t i) { expr(ix->items[i]); }, last_char(ix->range), "]");
        break;
      }
      case NodeKind::Slice: {
        const Slice* s = cast<Slice>(e);
        if (s->start) expr(s->start);
        w_.text(":");
        if (s->stop) expr(s->stop);
        if (s->has_step_colon) w_.text(":");
        if (s->step) expr(s->step);
        break;
      }
      case NodeKind::ListLit:
        list_lit(cast<ListLit>(e));
        break;
      case NodeKind::MapLit: {
        const MapLit* m = cast<MapLit>(e);
        list(
            first_char(m->range), "{", m->entries.size(),
            [&](uint32_t i) {
              expr(m->entries[i].key);
              w_.text(":");
              w_.space();
              expr(m->entries[i].value);
            },
            last_char(m->range), "}");
        break;
      }
      case NodeKind::TensorCtor: {
        const TensorCtor* t = cast<TensorCtor>(e);
        keyword(t->range.begin, "tensor");
        w_.text("<");
        w_.token(t->element_range, t->element);
        w_.text(">");
        args(find(t->element_range.end, TokenKind::LParen), t->args, last_char(t->range));
        break;
      }
      case NodeKind::Paren: {
        const Paren* p = cast<Paren>(e);
        w_.token(first_char(p->range), "(");
        expr(p->inner);
        w_.token(last_char(p->range), ")");
        break;
      }
      default:  // ErrorExpr: see stmt()
        w_.token(e->range);
        break;
    }
  }

  // A list of lists of non-lists, with no comment inside a row: printable as an aligned matrix.
  bool is_matrix(const ListLit* l) const {
    if (l->elements.empty()) return false;
    for (const Expr* row : l->elements) {
      const ListLit* r = dyn_cast<ListLit>(row);
      if (!r) return false;
      for (const Expr* cell : r->elements)
        if (isa<ListLit>(cell)) return false;
      if (w_.has_comments_in(r->range.begin, r->range.end)) return false;
    }
    return true;
  }

  void list_lit(const ListLit* l) {
    SourceRange open = first_char(l->range), close = last_char(l->range);
    uint32_t n = l->elements.size();
    auto item = [&](uint32_t i) { expr(l->elements[i]); };
    bool nested = n > 0 && std::all_of(l->elements.begin(), l->elements.end(),
                                       [](const Expr* x) { return isa<ListLit>(x); });
    // A nested literal written over several lines stays over several lines (a matrix).
    bool force = nested && newline_between(open.end, l->elements[0]->range.begin);
    if (!is_matrix(l) || w_.flat()) {
      list(open, "[", n, item, close, "]", force);
      return;
    }
    if (!force && w_.try_flat([&] { list(open, "[", n, item, close, "]"); })) return;
    if (matrix(l)) return;
    list(open, "[", n, item, close, "]", true);
  }

  // One row per line, each column right-aligned; false (nothing written) when a row would not fit.
  bool matrix(const ListLit* l) {
    std::vector<std::vector<std::string>> cells;
    std::vector<size_t> widths;
    for (const Expr* row : l->elements) {
      const ListLit* r = cast<ListLit>(row);
      std::vector<std::string> rc;
      for (uint32_t j = 0; j < r->elements.size(); ++j) {
        std::string s;
        if (!w_.measure_flat([&] { expr(r->elements[j]); }, &s)) return false;
        if (widths.size() <= j) widths.push_back(0);
        widths[j] = std::max(widths[j], code_points(s));
        rc.push_back(std::move(s));
      }
      cells.push_back(std::move(rc));
    }
    std::vector<std::string> rows;
    int room = Writer::kWidth - w_.indentation() - Writer::kIndentStep - 1;  // 1: the comma
    for (const std::vector<std::string>& rc : cells) {
      std::string text = "[";
      for (size_t j = 0; j < rc.size(); ++j) {
        if (j) text += ", ";
        text.append(widths[j] - code_points(rc[j]), ' ');
        text += rc[j];
      }
      text += "]";
      if (static_cast<int>(code_points(text)) > room) return false;
      rows.push_back(std::move(text));
    }
    w_.token(first_char(l->range), "[");
    w_.indent();
    for (uint32_t i = 0; i < rows.size(); ++i) {
      w_.newline();
      w_.span(l->elements[i]->range, rows[i]);
      w_.text(",");
    }
    w_.dedent();
    w_.newline();
    w_.token(last_char(l->range), "]");
    return true;
  }

  static size_t code_points(std::string_view s) {
    return static_cast<size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
  }

  const SyntaxTree& tree_;
  const SourceFile& source_;
  Writer w_;
};

}  // namespace

std::string format_tree(const SyntaxTree& tree) {
  return Printer(tree).run();
}

}  // namespace tl::format
