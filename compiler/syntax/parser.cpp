#include "compiler/syntax/parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "compiler/syntax/lexer.h"

namespace tl {

using namespace ast;

namespace {

bool is_statement_keyword(TokenKind k) {
  switch (k) {
    case TokenKind::Fn:
    case TokenKind::Function:
    case TokenKind::Let:
    case TokenKind::Import:
    case TokenKind::Main:
    case TokenKind::If:
    case TokenKind::While:
    case TokenKind::For:
    case TokenKind::Break:
    case TokenKind::Continue:
    case TokenKind::Return:
      return true;
    default:
      return false;
  }
}

bool can_start_expr(TokenKind k) {
  switch (k) {
    case TokenKind::Identifier:
    case TokenKind::IntLiteral:
    case TokenKind::FloatLiteral:
    case TokenKind::StringLiteral:
    case TokenKind::True:
    case TokenKind::False:
    case TokenKind::Tensor:
    case TokenKind::LParen:
    case TokenKind::LBracket:
    case TokenKind::LBrace:
    case TokenKind::Minus:
    case TokenKind::Bang:
      return true;
    default:
      return false;
  }
}

std::optional<BinaryOp> binary_op_of(TokenKind k) {
  switch (k) {
    case TokenKind::PipePipe:
      return BinaryOp::Or;
    case TokenKind::AmpAmp:
      return BinaryOp::And;
    case TokenKind::EqualEqual:
      return BinaryOp::Eq;
    case TokenKind::BangEqual:
      return BinaryOp::Ne;
    case TokenKind::Less:
      return BinaryOp::Lt;
    case TokenKind::LessEqual:
      return BinaryOp::Le;
    case TokenKind::Greater:
      return BinaryOp::Gt;
    case TokenKind::GreaterEqual:
      return BinaryOp::Ge;
    case TokenKind::Plus:
      return BinaryOp::Add;
    case TokenKind::Minus:
      return BinaryOp::Sub;
    case TokenKind::Star:
      return BinaryOp::Mul;
    case TokenKind::Slash:
      return BinaryOp::Div;
    case TokenKind::Percent:
      return BinaryOp::Mod;
    case TokenKind::At:
      return BinaryOp::MatMul;
    default:
      return std::nullopt;  // ** is handled by parse_power (it binds tighter than unary)
  }
}

TokenKind closer_of(TokenKind open) {
  return open == TokenKind::LParen     ? TokenKind::RParen
         : open == TokenKind::LBracket ? TokenKind::RBracket
                                       : TokenKind::RBrace;
}

// `best // 10`: a `//` comment straight after an operand whose text reads as the rest of an
// expression (a name or number first, then only operators, brackets and single names or
// numbers, never two words in a row as prose has). Python's floor division, silently lost.
struct FloorDivComment {
  SourceRange comment;
  size_t left_token;     // the operand before `//`
  uint32_t operand_end;  // the end of the right operand inside the comment
};

bool ends_operand(TokenKind k) {
  return k == TokenKind::Identifier || k == TokenKind::IntLiteral || k == TokenKind::FloatLiteral ||
         k == TokenKind::RParen || k == TokenKind::RBracket;
}

std::vector<FloorDivComment> floor_division_comments(const SyntaxTree& tree) {
  std::vector<FloorDivComment> out;
  const std::string_view src = tree.source().text();
  const auto& toks = tree.tokens();
  // A one-word comment (`x = f(1) // trailing`) reads as code only when the word is a number or
  // a name the program uses (`rows // cols`).
  std::vector<std::string_view> names;
  auto is_name = [&](std::string_view w) {
    if (names.empty())
      for (const Token& t : toks)
        if (t.kind == TokenKind::Identifier) names.push_back(src.substr(t.begin, t.end - t.begin));
    return std::find(names.begin(), names.end(), w) != names.end();
  };
  auto word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  };
  for (const Comment& c : tree.comments()) {
    if (c.block || c.own_line || src.substr(c.range.begin, 2) != "//") continue;
    auto after = std::lower_bound(toks.begin(), toks.end(), c.range.begin,
                                  [](const Token& t, uint32_t off) { return t.begin < off; });
    if (after == toks.begin()) continue;
    const size_t left = static_cast<size_t>(after - toks.begin()) - 1;
    if (!ends_operand(toks[left].kind)) continue;
    const std::string_view body = src.substr(c.range.begin + 2, c.range.end - c.range.begin - 2);
    size_t i = body.find_first_not_of(" \t");
    if (i == body.npos || !(std::isalnum(static_cast<unsigned char>(body[i])) || body[i] == '_'))
      continue;
    const size_t operand_begin = i;
    while (i < body.size() && word(body[i])) ++i;
    const uint32_t operand_end = c.range.begin + 2 + static_cast<uint32_t>(i);
    const std::string_view operand = body.substr(operand_begin, i - operand_begin);
    if (body.find_first_not_of(" \t", i) == body.npos &&
        !std::isdigit(static_cast<unsigned char>(operand[0])) && !is_name(operand))
      continue;
    bool code = true, last_word = true;
    while (i < body.size() && code) {
      const char ch = body[i];
      if (ch == ' ' || ch == '\t') {
        ++i;
      } else if (word(ch)) {
        if (last_word) code = false;
        while (i < body.size() && word(body[i])) ++i;
        last_word = true;
      } else if (std::string_view("+-*/%@()[],").find(ch) != std::string_view::npos) {
        last_word = ch == ')' || ch == ']';
        ++i;
      } else {
        code = false;
      }
    }
    if (code) out.push_back({c.range, left, operand_end});
  }
  return out;
}

class Parser {
 public:
  Parser(SyntaxTree& tree, DiagnosticSink& diags, const ParseOptions& options)
      : tree_(tree),
        arena_(tree.arena()),
        toks_(tree.tokens()),
        diags_(diags),
        options_(options),
        file_(tree.source().id()),
        floor_divs_(floor_division_comments(tree)) {
    for (const FloorDivComment& f : floor_divs_) {
      Diagnostic& d = diags_.report(Severity::Warning, DiagCode::W0303, f.comment,
                                    "`//` starts a comment in TL, not floor division: the rest "
                                    "of the line is ignored");
      if (auto fix = floor_div_fix(f)) d.fix(fix->first, fix->second);
      d.note({},
             "for floor division write `floordiv(a, b)`; for a comment after code, put it on "
             "its own line");
    }
  }

  Module* parse_module() {
    std::vector<Stmt*> items;
    while (!at(TokenKind::Eof)) {
      if (accept(TokenKind::Semicolon)) continue;
      if (at(TokenKind::RBrace)) {
        error(DiagCode::E0214, tok_range(), "unexpected '}' with no '{' to close");
        advance();
        panic_ = false;
        continue;
      }
      items.push_back(statement(/*top_level=*/true));
      flush_pending(items);
    }
    return arena_.make<Module>(SourceRange{file_, 0, tree_.source().size()}, arena_.copy(items));
  }

 private:
  // --- token access -----------------------------------------------------------------------------
  const Token& tok() const { return toks_[pos_]; }
  const Token& peek(size_t k = 1) const {
    return pos_ + k < toks_.size() ? toks_[pos_ + k] : toks_.back();
  }
  bool at(TokenKind k) const { return tok().kind == k; }
  Token advance() {
    Token t = toks_[pos_];
    if (t.kind != TokenKind::Eof) {
      ++pos_;
      prev_end_ = t.end;
    }
    return t;
  }
  bool accept(TokenKind k) {
    if (!at(k)) return false;
    advance();
    return true;
  }
  std::string_view text(const Token& t) const {
    return tree_.source().text().substr(t.begin, t.end - t.begin);
  }
  SourceRange range(uint32_t b, uint32_t e) const { return {file_, b, e}; }
  SourceRange tok_range() const { return range(tok().begin, tok().end); }
  SourceRange from(uint32_t begin) const {
    return range(begin, prev_end_ > begin ? prev_end_ : begin);
  }
  // Newlines end statements only outside brackets.
  bool line_break_ends() const { return tok().newline_before && open_.empty(); }

  std::string describe(const Token& t) const {
    switch (t.kind) {
      case TokenKind::Eof:
        return "end of file";
      case TokenKind::Identifier:
        return fmt::format("identifier '{}'", text(t));
      case TokenKind::IntLiteral:
      case TokenKind::FloatLiteral:
        return fmt::format("number '{}'", text(t));
      case TokenKind::StringLiteral:
        return "string literal";
      case TokenKind::Error:
        return "invalid character";
      default:
        return fmt::format("'{}'", token_spelling(t.kind));
    }
  }

  // `floordiv(best, 10)` for `best // 10`: only for a plain name or number on the left.
  std::optional<std::pair<SourceRange, std::string>> floor_div_fix(const FloorDivComment& f) const {
    const Token& l = toks_[f.left_token];
    if (l.kind == TokenKind::RParen || l.kind == TokenKind::RBracket) return std::nullopt;
    if (f.left_token > 0 && toks_[f.left_token - 1].kind == TokenKind::Dot) return std::nullopt;
    std::string_view src = tree_.source().text();
    std::string_view right = src.substr(f.comment.begin + 2, f.operand_end - f.comment.begin - 2);
    while (!right.empty() && (right.front() == ' ' || right.front() == '\t'))
      right.remove_prefix(1);
    return std::pair{range(l.begin, f.operand_end),
                     fmt::format("floordiv({}, {})", text(l), right)};
  }
  // A `//` comment between two offsets that swallowed code (a closing bracket, say).
  const FloorDivComment* floor_div_between(uint32_t begin, uint32_t end) const {
    for (const FloorDivComment& f : floor_divs_)
      if (f.comment.begin >= begin && f.comment.begin < end) return &f;
    return nullptr;
  }

  // --- errors -----------------------------------------------------------------------------------
  // Reports the first error of a statement and enters panic mode: later errors are suppressed
  // until the statement loop resynchronises, so one mistake gives one diagnostic.
  Diagnostic* error(DiagCode code, SourceRange r, std::string message) {
    if (panic_) return nullptr;
    panic_ = true;
    error_pos_ = pos_;
    error_open_ = open_;
    if (tok().kind == TokenKind::Error && r.begin == tok().begin) return nullptr;  // lexer said it
    return &diags_.report(code, r, std::move(message));
  }
  // Where "expected X" points: the current token, or just past the last token at end of file.
  SourceRange expect_range() const {
    if (at(TokenKind::Eof)) return range(prev_end_, prev_end_);
    return tok_range();
  }
  bool expect(TokenKind k, std::string_view what) {
    if (accept(k)) return true;
    error(DiagCode::E0202, expect_range(),
          fmt::format("expected '{}' {}, found {}", token_spelling(k), what, describe(tok())));
    return false;
  }
  // Closes a bracket opened by `open`; at end of file, points back at the opener.
  bool expect_close(const Token& open, std::string_view what) {
    TokenKind k = closer_of(open.kind);
    if (accept(k)) return true;
    if (const FloorDivComment* f = floor_div_between(open.end, tok().begin); f && !panic_) {
      // `reshape(t, B, T, H, C // H)`: the comment hid the closing bracket.
      Diagnostic* d =
          error(DiagCode::E0209, range(open.begin, open.end),
                fmt::format("unclosed '{}': the `//` on this line starts a comment that hides the "
                            "rest of the line (TL has no `//` operator)",
                            token_spelling(open.kind)));
      if (d) {
        d->note(f->comment, "this comment hides the rest of the line");
        if (auto fix = floor_div_fix(*f))
          d->note({}, fmt::format("for floor division write `{}`", fix->second))
              .fix(fix->first, fix->second);
      }
      return false;
    }
    if (at(TokenKind::Eof)) {
      // Every bracket still open fails here; the first report says it all.
      if (unclosed_reported_) {
        panic_ = true;
        error_pos_ = pos_;
        return false;
      }
      unclosed_reported_ = true;
      if (Diagnostic* d =
              error(DiagCode::E0209, range(open.begin, open.end),
                    fmt::format("unclosed '{}': expected '{}' {} before the end of file",
                                token_spelling(open.kind), token_spelling(k), what)))
        d->note(expect_range(),
                fmt::format("end of file reached; expected '{}'", token_spelling(k)));
      return false;
    }
    if (Diagnostic* d = error(
            DiagCode::E0202, expect_range(),
            fmt::format("expected '{}' {}, found {}", token_spelling(k), what, describe(tok()))))
      d->note(range(open.begin, open.end),
              fmt::format("to match this '{}'", token_spelling(open.kind)));
    return false;
  }

  // Skips to the next statement boundary after an error, balancing brackets that were open at the
  // error: a newline or ';' outside brackets, a '}' that closes the enclosing block, or a
  // statement keyword at the start of a line. Iterative: safe for any nesting depth.
  void synchronize(size_t stmt_start) {
    if (pos_ > error_pos_) pos_ = error_pos_;
    std::vector<TokenKind> open = std::move(error_open_);
    error_open_.clear();
    bool must_consume = pos_ <= stmt_start;
    while (!at(TokenKind::Eof)) {
      const Token& t = tok();
      if (!must_consume) {
        if (t.newline_before && is_statement_keyword(t.kind)) break;
        if (open.empty()) {
          if (t.kind == TokenKind::Semicolon) {
            advance();
            break;
          }
          if (t.newline_before || t.kind == TokenKind::RBrace) break;
        }
      }
      switch (t.kind) {
        case TokenKind::LParen:
        case TokenKind::LBracket:
        case TokenKind::LBrace:
          open.push_back(t.kind);
          break;
        case TokenKind::RParen:
        case TokenKind::RBracket:
        case TokenKind::RBrace: {
          TokenKind opener = t.kind == TokenKind::RParen     ? TokenKind::LParen
                             : t.kind == TokenKind::RBracket ? TokenKind::LBracket
                                                             : TokenKind::LBrace;
          size_t i = open.size();
          while (i > 0 && open[i - 1] != opener) --i;
          if (i > 0) {
            open.resize(i - 1);
          } else if (t.kind == TokenKind::RBrace && !must_consume) {
            goto done;  // closes the enclosing block
          }
          break;
        }
        default:
          break;
      }
      must_consume = false;
      advance();
    }
  done:
    panic_ = false;
  }

  // RAII: an expression bracket is open (newlines do not end statements inside it).
  struct OpenBracket {
    Parser& p;
    OpenBracket(Parser& parser, TokenKind k) : p(parser) { p.open_.push_back(k); }
    ~OpenBracket() { p.open_.pop_back(); }
  };
  struct Depth {
    Parser& p;
    bool ok;
    explicit Depth(Parser& parser) : p(parser), ok(++p.depth_ <= p.options_.max_depth) {}
    ~Depth() { --p.depth_; }
  };
  void too_deep() {
    error(
        DiagCode::E0208, tok_range(),
        fmt::format(
            "nesting too deep: more than {} levels of brackets, blocks, operators or chained calls",
            options_.max_depth));
  }

  // --- node helpers -----------------------------------------------------------------------------
  // Every expression is made here, so that the height of the tree above it is known: operator
  // and postfix chains nest without recursing in the parser, yet every later pass recurses per
  // level. Height plus the enclosing nesting (depth_) is held to the one limit.
  template <class T, class... A>
  T* expr(SourceRange r, A&&... a) {
    T* e = arena_.make<T>(r, tree_.next_expr_id(), std::forward<A>(a)...);
    uint32_t height = 1;
    for_each_child(e, [&](const Node* child) {
      if (const auto* c = dyn_cast<Expr>(child); c && c->id < heights_.size())
        height = std::max(height, heights_[c->id] + 1);
    });
    if (heights_.size() <= e->id) heights_.resize(e->id + 1, 0);
    heights_[e->id] = height;
    if (height + depth_ > options_.max_depth && !panic_) {
      error(DiagCode::E0208, r,
            fmt::format("nesting too deep: more than {} levels of brackets, blocks, operators "
                        "or chained calls",
                        options_.max_depth));
    }
    return e;
  }
  ErrorExpr* error_expr() { return expr<ErrorExpr>(range(tok().begin, tok().begin)); }
  ErrorStmt* error_stmt(uint32_t begin) { return arena_.make<ErrorStmt>(from(begin)); }

  // --- statements -------------------------------------------------------------------------------
  bool at_statement_end() {
    if (accept(TokenKind::Semicolon)) return true;
    return at(TokenKind::RBrace) || at(TokenKind::Eof) || tok().newline_before;
  }

  Stmt* statement(bool top_level) {
    size_t start = pos_;
    Stmt* s = statement_body(top_level);
    if (!panic_ && !at_statement_end()) {
      error(
          DiagCode::E0205, tok_range(),
          fmt::format("expected a newline or ';' after the statement, found {}", describe(tok())));
    }
    if (panic_) synchronize(start);
    return s;
  }

  void misplaced(const Token& kw, bool top_level) {
    if (top_level) return;
    diags_.report(DiagCode::E0211, range(kw.begin, kw.end),
                  fmt::format("'{}' declarations are only allowed at the top level of a file",
                              token_spelling(kw.kind)));
  }

  Stmt* statement_body(bool top_level) {
    const Token& t = tok();
    switch (t.kind) {
      case TokenKind::Fn:
      case TokenKind::Function:
        misplaced(t, top_level);
        return fn_decl();
      case TokenKind::Tensor:
        if (peek().kind == TokenKind::Identifier) {
          misplaced(t, top_level);
          return tensor_decl();
        }
        break;
      case TokenKind::Import:
        misplaced(t, top_level);
        return import_decl();
      case TokenKind::Main:
        misplaced(t, top_level);
        return main_block();
      case TokenKind::Let:
        return let_stmt();
      case TokenKind::If:
        return if_stmt();
      case TokenKind::While:
        return while_stmt();
      case TokenKind::For:
        return for_stmt();
      case TokenKind::Break:
        advance();
        return arena_.make<Break>(range(t.begin, t.end));
      case TokenKind::Continue:
        advance();
        return arena_.make<Continue>(range(t.begin, t.end));
      case TokenKind::Return:
        return return_stmt();
      case TokenKind::LBrace:
        return block();
      case TokenKind::Identifier:
        if (peek().kind == TokenKind::ColonEqual) return colon_equal();
        break;
      default:
        break;
    }
    if (at_word("def") && peek().kind == TokenKind::Identifier && !peek().newline_before) {
      const uint32_t b = t.begin;
      if (Diagnostic* d = error(DiagCode::E0206, tok_range(),
                                "TL declares functions with `fn`, not `def`: `fn name(x) { ... }`"))
        d->fix(tok_range(), "fn");
      return error_stmt(b);
    }
    if (!can_start_expr(t.kind)) {
      uint32_t b = t.begin;
      error(DiagCode::E0206, tok_range(),
            fmt::format("expected a statement, found {}", describe(t)));
      return error_stmt(b);
    }
    uint32_t b = t.begin;
    const size_t target_pos = pos_;
    Expr* e = expression();
    if (!panic_ && compound_op()) return compound_assign(b, target_pos, e);
    if (!panic_ && at(TokenKind::Comma) && isa<Ident>(e) && tuple_target_follows())
      return destructure(b, {{cast<Ident>(e)->name, e->range}}, /*declare=*/false);
    if (at(TokenKind::Equal) && !panic_) {
      if (!isa<Ident>(e) && !isa<Member>(e) && !isa<Index>(e)) {
        diags_.report(DiagCode::E0207, e->range,
                      "cannot assign to this expression; the left of '=' must be a name, a member "
                      "(a.b) or an index (a[i])");
      }
      advance();
      Expr* v = expression();
      return arena_.make<Assign>(from(b), e, v);
    }
    return arena_.make<ExprStmt>(from(b), e);
  }

  Block* block() {
    uint32_t b = tok().begin;
    Depth depth(*this);
    if (!depth.ok) {
      too_deep();
      return arena_.make<Block>(range(b, b), NodeList<Stmt*>{});
    }
    if (!at(TokenKind::LBrace)) {
      error(DiagCode::E0202, expect_range(),
            fmt::format("expected '{{' to begin a block, found {}{}", describe(tok()),
                        at(TokenKind::Equal) ? " (did you mean '=='?)" : ""));
      return arena_.make<Block>(range(b, b), NodeList<Stmt*>{});
    }
    Token open = advance();
    std::vector<Stmt*> stmts;
    while (!at(TokenKind::RBrace) && !at(TokenKind::Eof)) {
      if (accept(TokenKind::Semicolon)) continue;
      stmts.push_back(statement(/*top_level=*/false));
      flush_pending(stmts);
    }
    expect_close(open, "to end the block");
    return arena_.make<Block>(from(b), arena_.copy(stmts));
  }

  std::optional<std::pair<std::string_view, SourceRange>> identifier(std::string_view what) {
    if (at(TokenKind::Identifier)) {
      Token t = advance();
      return std::pair{text(t), range(t.begin, t.end)};
    }
    error(DiagCode::E0203, expect_range(),
          fmt::format("expected {}, found {}", what, describe(tok())));
    return std::nullopt;
  }

  Stmt* let_stmt() {
    uint32_t b = advance().begin;
    auto name = identifier("a name after 'let'");
    if (!name) return error_stmt(b);
    if (at(TokenKind::Comma)) return destructure(b, {*name}, /*declare=*/true);
    TypeRef* type = nullptr;
    if (accept(TokenKind::Colon)) type = type_ref();
    if (panic_) return error_stmt(b);
    if (!expect(TokenKind::Equal, "after the name in 'let'")) return error_stmt(b);
    Expr* init = expression();
    return arena_.make<Let>(from(b), LetSpelling::Let, name->first, name->second, type, init);
  }

  Stmt* colon_equal() {
    Token n = advance();
    advance();  // :=
    Expr* init = expression();
    return arena_.make<Let>(from(n.begin), LetSpelling::ColonEqual, text(n), range(n.begin, n.end),
                            nullptr, init);
  }

  Stmt* if_stmt() {
    uint32_t b = advance().begin;
    Expr* cond = expression();
    if (panic_) return error_stmt(b);
    Block* then_block = block();
    if (panic_) return error_stmt(b);
    Stmt* else_branch = nullptr;
    if (at_word("elif")) {
      // Python's `elif` is `else if` (tl fmt writes it so).
      Depth depth(*this);
      if (!depth.ok) {
        too_deep();
        return error_stmt(b);
      }
      else_branch = if_stmt();
    } else if (accept(TokenKind::Else)) {
      if (at(TokenKind::If)) {
        Depth depth(*this);  // else-if chains nest Ifs
        if (!depth.ok) {
          too_deep();
          return error_stmt(b);
        }
        else_branch = if_stmt();
      } else {
        else_branch = block();
      }
    }
    return arena_.make<If>(from(b), cond, then_block, else_branch);
  }

  Stmt* while_stmt() {
    uint32_t b = advance().begin;
    Expr* cond = expression();
    if (panic_) return error_stmt(b);
    Block* body = block();
    return arena_.make<While>(from(b), cond, body);
  }

  Stmt* for_stmt() {
    uint32_t b = advance().begin;
    auto var = identifier("a loop variable after 'for'");
    if (!var) return error_stmt(b);
    if (!expect(TokenKind::In, "after the loop variable")) return error_stmt(b);
    Expr* iterable = expression();
    if (panic_) return error_stmt(b);
    Block* body = block();
    return arena_.make<For>(from(b), var->first, var->second, iterable, body);
  }

  Stmt* return_stmt() {
    uint32_t b = advance().begin;
    Expr* value = nullptr;
    if (!at(TokenKind::Semicolon) && !at(TokenKind::RBrace) && !at(TokenKind::Eof) &&
        !tok().newline_before)
      value = expression();
    if (value && !panic_ && at(TokenKind::Comma)) {
      // `return k, v`: several values travel as one list (`let k, v = f(x)` takes it apart).
      std::vector<Expr*> values{value};
      while (!panic_ && accept(TokenKind::Comma)) values.push_back(expression());
      value = expr<ListLit>(SourceRange::join(values.front()->range, values.back()->range),
                            arena_.copy(values), false);
    }
    return arena_.make<Return>(from(b), value);
  }

  // A word that Python spells as an operator or keyword (`and`, `elif`): an identifier here.
  bool at_word(std::string_view w) const { return at(TokenKind::Identifier) && text(tok()) == w; }
  std::optional<BinaryOp> binary_op_at() const {
    if (at_word("and")) return BinaryOp::And;
    if (at_word("or")) return BinaryOp::Or;
    return binary_op_of(tok().kind);
  }
  // `not x`: a prefix `not` followed by an operand on the same line (else `not` is a name).
  bool at_prefix_not() const {
    const Token& n = peek();
    return at_word("not") && !n.newline_before && can_start_expr(n.kind) &&
           n.kind != TokenKind::Minus;
  }
  // `+=`, `-=`, `*=`, `/=`: the operator with `=` right after it.
  bool compound_op() const {
    const TokenKind k = tok().kind;
    if (k != TokenKind::Plus && k != TokenKind::Minus && k != TokenKind::Star &&
        k != TokenKind::Slash)
      return false;
    const Token& n = peek();
    return n.kind == TokenKind::Equal && n.begin == tok().end;
  }
  // `x op= e` is `x = x op e` (tl fmt writes it so): the target is parsed a second time from
  // its tokens, so that the two occurrences are distinct nodes.
  Stmt* compound_assign(uint32_t b, size_t target_pos, Expr* target) {
    if (!isa<Ident>(target) && !isa<Member>(target) && !isa<Index>(target))
      diags_.report(DiagCode::E0207, target->range,
                    "cannot assign to this expression; the left of an assignment must be a name, "
                    "a member (a.b) or an index (a[i])");
    const Token op = advance();
    advance();  // =
    const size_t resume = pos_;
    const uint32_t resume_end = prev_end_;
    pos_ = target_pos;
    Expr* read = expression();
    pos_ = resume;
    prev_end_ = resume_end;
    Expr* value = expression();
    Expr* combined = expr<Binary>(SourceRange::join(read->range, value->range),
                                  *binary_op_of(op.kind), range(op.begin, op.end), read, value);
    return arena_.make<Assign>(from(b), target, combined);
  }
  // After `a` in `a, b = e` (or `let a, b = e`): more names, then `=`.
  bool tuple_target_follows() const {
    for (size_t k = 1;; k += 2) {
      if (peek(k).kind != TokenKind::Identifier) return false;
      if (peek(k + 1).kind == TokenKind::Equal) return true;
      if (peek(k + 1).kind != TokenKind::Comma) return false;
    }
  }
  // `let k, v = e` / `k, v = e`: `e` (a list, as `return k, v` makes) into a hidden variable,
  // then one `let` per name from its items. tl fmt prints the expanded form.
  Stmt* destructure(uint32_t b, std::vector<std::pair<std::string_view, SourceRange>> names,
                    bool declare) {
    while (accept(TokenKind::Comma)) {
      auto n = identifier("a name to assign");
      if (!n) return error_stmt(b);
      names.push_back(*n);
    }
    if (!expect(TokenKind::Equal, "after the names to assign")) return error_stmt(b);
    Expr* init = expression();
    // Numbered in order (not by offset), so that tl fmt's expansion parses to the same names.
    const std::string_view hidden = arena_.copy(fmt::format("__values_{}", destructures_++));
    const SourceRange whole = from(b);
    for (size_t i = 0; i < names.size(); ++i) {
      const auto& [name, nr] = names[i];
      const std::string_view index_text = arena_.copy(std::to_string(i));
      Expr* items[] = {expr<IntLit>(nr, index_text, static_cast<uint64_t>(i))};
      Expr* item = expr<Index>(nr, expr<Ident>(nr, hidden),
                               arena_.copy(std::vector<Expr*>(std::begin(items), std::end(items))));
      if (declare)
        pending_.push_back(arena_.make<Let>(nr, LetSpelling::Let, name, nr, nullptr, item));
      else
        pending_.push_back(arena_.make<Assign>(nr, expr<Ident>(nr, name), item));
    }
    return arena_.make<Let>(whole, LetSpelling::Let, hidden, range(b, b), nullptr, init);
  }
  void flush_pending(std::vector<Stmt*>& into) {
    into.insert(into.end(), pending_.begin(), pending_.end());
    pending_.clear();
  }

  // --- declarations -----------------------------------------------------------------------------
  Stmt* fn_decl() {
    Token kw = advance();
    auto name = identifier(fmt::format("a function name after '{}'", text(kw)));
    if (!name) return error_stmt(kw.begin);
    if (!at(TokenKind::LParen)) {
      expect(TokenKind::LParen, "to begin the parameter list");
      return error_stmt(kw.begin);
    }
    Token open = advance();
    std::vector<Param> params;
    {
      OpenBracket ob(*this, TokenKind::LParen);
      while (!at(TokenKind::RParen) && !at(TokenKind::Eof)) {
        uint32_t pb = tok().begin;
        auto pname = identifier("a parameter name");
        if (!pname) break;
        TypeRef* type = nullptr;
        if (accept(TokenKind::Colon)) type = type_ref();
        if (panic_) break;
        Expr* default_value = nullptr;
        if (accept(TokenKind::Equal)) default_value = expression();
        if (panic_) break;
        params.push_back({pname->first, pname->second, type, from(pb), default_value});
        if (!accept(TokenKind::Comma)) break;
      }
      if (panic_ || !expect_close(open, "to end the parameter list")) return error_stmt(kw.begin);
    }
    TypeRef* ret = nullptr;
    if (accept(TokenKind::Arrow)) {
      ret = type_ref();
      if (panic_) return error_stmt(kw.begin);
    }
    Block* body = block();
    return arena_.make<FnDecl>(from(kw.begin),
                               kw.kind == TokenKind::Fn ? FnKeyword::Fn : FnKeyword::Function,
                               name->first, name->second, arena_.copy(params), ret, body);
  }

  Stmt* tensor_decl() {
    uint32_t b = advance().begin;
    auto name = identifier("a tensor name");
    if (!name) return error_stmt(b);
    if (!expect(TokenKind::Colon, "and a type after the tensor name")) return error_stmt(b);
    TypeRef* type = type_ref();
    if (panic_) return error_stmt(b);
    Qualifier q = Qualifier::None;
    if (accept(TokenKind::Learnable))
      q = Qualifier::Learnable;
    else if (accept(TokenKind::Frozen))
      q = Qualifier::Frozen;
    Expr* init = nullptr;
    if (accept(TokenKind::Equal)) init = expression();
    return arena_.make<TensorDecl>(from(b), name->first, name->second, type, q, init);
  }

  Stmt* import_decl() {
    uint32_t b = advance().begin;
    if (!at(TokenKind::StringLiteral)) {
      error(DiagCode::E0202, expect_range(),
            fmt::format("expected a path string after 'import', found {}", describe(tok())));
      return error_stmt(b);
    }
    auto* path = cast<StringLit>(primary());
    return arena_.make<ImportDecl>(from(b), path);
  }

  Stmt* main_block() {
    Token kw = advance();
    if (main_) {
      diags_
          .report(DiagCode::E0210, range(kw.begin, kw.end), "a file may have only one 'main' block")
          .note(main_->range, "the first 'main' block is here");
    }
    Block* body = block();
    auto* m = arena_.make<MainBlock>(from(kw.begin), body);
    if (!main_) main_ = m;
    return m;
  }

  // --- types ------------------------------------------------------------------------------------
  TypeRef* type_ref() {
    if (!at(TokenKind::Identifier)) {
      error(
          DiagCode::E0204, expect_range(),
          fmt::format("expected a type (such as float16[N, D] or int), found {}", describe(tok())));
      return arena_.make<ErrorType>(range(tok().begin, tok().begin));
    }
    Token name = advance();
    if (!at(TokenKind::LBracket) || tok().newline_before)
      return arena_.make<NamedType>(range(name.begin, name.end), text(name));
    Token open = advance();
    OpenBracket ob(*this, TokenKind::LBracket);
    std::vector<Dim> dims;
    while (!at(TokenKind::RBracket) && !at(TokenKind::Eof)) {
      const Token& d = tok();
      SourceRange dr = tok_range();
      if (d.kind == TokenKind::IntLiteral) {
        dims.push_back({Dim::Kind::Int, static_cast<int64_t>(int_value(d)), {}, dr});
      } else if (d.kind == TokenKind::Identifier) {
        dims.push_back({Dim::Kind::Name, 0, text(d), dr});
      } else if (d.kind == TokenKind::Question) {
        dims.push_back({Dim::Kind::Unknown, 0, {}, dr});
      } else {
        error(
            DiagCode::E0212, expect_range(),
            fmt::format("expected a dimension (an integer, a name or '?'), found {}", describe(d)));
        return arena_.make<ErrorType>(from(name.begin));
      }
      advance();
      if (!accept(TokenKind::Comma)) break;
    }
    if (!expect_close(open, "to end the dimensions"))
      return arena_.make<ErrorType>(from(name.begin));
    return arena_.make<TensorType>(from(name.begin), text(name), range(name.begin, name.end),
                                   arena_.copy(dims));
  }

  // --- expressions ------------------------------------------------------------------------------
  Expr* expression() { return binary(1); }

  // Precedence climbing over the left-associative levels 1..6 (|| .. * / % @).
  Expr* binary(int min_prec) {
    Expr* lhs = unary();
    while (!panic_) {
      auto op = binary_op_at();
      if (!op || line_break_ends() || compound_op()) break;
      int prec = binary_op_precedence(*op);
      if (prec < min_prec) break;
      Token ot = advance();
      Expr* rhs = binary(prec + 1);
      lhs = expr<Binary>(SourceRange::join(lhs->range, rhs->range), *op, range(ot.begin, ot.end),
                         lhs, rhs);
    }
    return lhs;
  }

  // Unary binds looser than ** and postfix: -x ** 2 is -(x ** 2), -a[0] is -(a[0]).
  Expr* unary() {
    Depth depth(*this);
    if (!depth.ok) {
      too_deep();
      return error_expr();
    }
    if (at(TokenKind::Minus) || at(TokenKind::Bang) || at_prefix_not()) {
      Token t = advance();
      Expr* operand = unary();
      return expr<Unary>(from(t.begin), t.kind == TokenKind::Minus ? UnaryOp::Neg : UnaryOp::Not,
                         operand);
    }
    Expr* base = postfix(primary());
    if (at(TokenKind::StarStar) && !line_break_ends() && !panic_) {
      Token t = advance();
      Expr* exponent = unary();  // right-associative; 2 ** -1 allowed
      return expr<Binary>(SourceRange::join(base->range, exponent->range), BinaryOp::Pow,
                          range(t.begin, t.end), base, exponent);
    }
    return base;
  }

  Expr* postfix(Expr* e) {
    while (!panic_ && !line_break_ends()) {
      if (at(TokenKind::LParen)) {
        Token open = advance();
        NodeList<Arg> args = arguments(open);
        e = expr<Call>(from(e->range.begin), e, args);
      } else if (at(TokenKind::LBracket)) {
        e = index(e);
      } else if (at(TokenKind::Dot)) {
        advance();
        const Token& n = tok();
        if (n.kind != TokenKind::Identifier && !is_keyword(n.kind)) {
          error(DiagCode::E0203, expect_range(),
                fmt::format("expected a member name after '.', found {}", describe(n)));
          return e;
        }
        advance();
        e = expr<Member>(from(e->range.begin), e, text(n), range(n.begin, n.end));
      } else {
        break;
      }
    }
    return e;
  }

  // After '(': arguments up to and including ')'.
  NodeList<Arg> arguments(const Token& open) {
    OpenBracket ob(*this, TokenKind::LParen);
    std::vector<Arg> args;
    bool seen_named = false;
    while (!at(TokenKind::RParen) && !at(TokenKind::Eof)) {
      uint32_t b = tok().begin;
      Arg a{};
      // `dim: -1`, or Python's `dim=-1` (tl fmt writes the colon).
      if (at(TokenKind::Identifier) &&
          (peek().kind == TokenKind::Colon || peek().kind == TokenKind::Equal)) {
        Token n = advance();
        advance();
        a.name = text(n);
        a.name_range = range(n.begin, n.end);
        seen_named = true;
      } else if (seen_named && can_start_expr(tok().kind)) {
        diags_.report(DiagCode::E0213, tok_range(), "positional argument after a named argument");
      }
      a.value = expression();
      a.range = from(b);
      args.push_back(a);
      if (panic_ || !accept(TokenKind::Comma)) break;
    }
    if (!panic_) expect_close(open, "to end the arguments");
    return arena_.copy(args);
  }

  Expr* index(Expr* object) {
    Token open = advance();
    OpenBracket ob(*this, TokenKind::LBracket);
    std::vector<Expr*> items;
    while (!at(TokenKind::RBracket) && !at(TokenKind::Eof)) {
      items.push_back(index_item());
      if (panic_ || !accept(TokenKind::Comma)) break;
    }
    if (items.empty() && !panic_ && at(TokenKind::RBracket))
      error(DiagCode::E0201, tok_range(), "expected an index or a slice inside '[]'");
    if (!panic_) expect_close(open, "to end the index");
    return expr<Index>(from(object->range.begin), object, arena_.copy(items));
  }

  Expr* index_item() {
    uint32_t b = tok().begin;
    auto ends_part = [&] {
      return at(TokenKind::Comma) || at(TokenKind::RBracket) || at(TokenKind::Colon);
    };
    Expr* start = at(TokenKind::Colon) ? nullptr : expression();
    if (!at(TokenKind::Colon) || panic_) return start;
    advance();
    Expr* stop = ends_part() ? nullptr : expression();
    Expr* step = nullptr;
    bool step_colon = false;
    if (!panic_ && accept(TokenKind::Colon)) {
      step_colon = true;
      step = ends_part() ? nullptr : expression();
    }
    return expr<Slice>(from(b), start, stop, step, step_colon);
  }

  uint64_t int_value(const Token& t) {
    std::string_view s = text(t);
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range) {
      diags_.report(DiagCode::E0106, range(t.begin, t.end),
                    fmt::format("integer literal '{}' does not fit in 64 bits", s));
      return UINT64_MAX;
    }
    (void)p;
    return v;
  }

  Expr* primary() {
    const Token t = tok();
    SourceRange r = tok_range();
    switch (t.kind) {
      case TokenKind::IntLiteral:
        advance();
        return expr<IntLit>(r, text(t), int_value(t));
      case TokenKind::FloatLiteral: {
        advance();
        std::string_view s = text(t);
        double v = 0;
        // Out of range, from_chars leaves v unset: strtod gives inf (or 0 for an underflow), as
        // Python reads 1e400 or a 400-digit literal.
        if (std::from_chars(s.data(), s.data() + s.size(), v).ec == std::errc::result_out_of_range)
          v = std::strtod(std::string(s).c_str(), nullptr);
        return expr<FloatLit>(r, s, v);
      }
      case TokenKind::StringLiteral: {
        advance();
        std::string value = decode_string(tree_.source(), t, &diags_);
        Expr* e = expr<StringLit>(r, arena_.copy(value), text(t));
        if (t.malformed && !panic_) {
          // The lexer reported it. The string swallowed the rest of its line (closing brackets
          // included), so resynchronise at the next line rather than at the brackets' partners.
          panic_ = true;
          error_pos_ = pos_;
          error_open_.clear();
        }
        return e;
      }
      case TokenKind::True:
        advance();
        return expr<BoolLit>(r, true);
      case TokenKind::False:
        advance();
        return expr<BoolLit>(r, false);
      case TokenKind::Identifier: {
        advance();
        // Python's spellings of the constants (tl fmt writes true, false, none).
        const std::string_view word = text(t);
        if (word == "True" || word == "False") return expr<BoolLit>(r, word == "True");
        if (word == "None") return expr<Ident>(r, std::string_view("none"));
        return expr<Ident>(r, word);
      }
      case TokenKind::LParen: {
        Token open = advance();
        OpenBracket ob(*this, TokenKind::LParen);
        if (at(TokenKind::RParen)) {
          error(DiagCode::E0201, tok_range(), "expected an expression inside '()'");
          advance();
          return expr<ErrorExpr>(from(t.begin));
        }
        Expr* inner = expression();
        if (!panic_) expect_close(open, "to end the parenthesized expression");
        return expr<Paren>(from(t.begin), inner);
      }
      case TokenKind::LBracket: {
        Token open = advance();
        OpenBracket ob(*this, TokenKind::LBracket);
        std::vector<Expr*> elems;
        bool trailing = false;
        while (!at(TokenKind::RBracket) && !at(TokenKind::Eof)) {
          elems.push_back(expression());
          trailing = false;
          if (panic_ || !accept(TokenKind::Comma)) break;
          trailing = true;
        }
        if (!panic_) expect_close(open, "to end the list");
        return expr<ListLit>(from(t.begin), arena_.copy(elems), trailing);
      }
      case TokenKind::LBrace: {
        Token open = advance();
        OpenBracket ob(*this, TokenKind::LBrace);
        std::vector<MapEntry> entries;
        bool trailing = false;
        while (!at(TokenKind::RBrace) && !at(TokenKind::Eof)) {
          Expr* key = expression();
          if (panic_ || !expect(TokenKind::Colon, "between a map key and its value")) break;
          Expr* value = expression();
          entries.push_back({key, value});
          trailing = false;
          if (panic_ || !accept(TokenKind::Comma)) break;
          trailing = true;
        }
        if (!panic_) expect_close(open, "to end the map");
        return expr<MapLit>(from(t.begin), arena_.copy(entries), trailing);
      }
      case TokenKind::Tensor: {
        advance();
        // `tensor([...])`: the builtin `tensor`, float16 like `tensor<float16>(...)`.
        if (at(TokenKind::LParen)) return expr<Ident>(r, text(t));
        if (!expect(TokenKind::Less, "after 'tensor' (as in tensor<float16>(...))"))
          return expr<ErrorExpr>(from(t.begin));
        auto elem = identifier("an element type such as float16");
        if (!elem) return expr<ErrorExpr>(from(t.begin));
        if (!expect(TokenKind::Greater, "after the element type"))
          return expr<ErrorExpr>(from(t.begin));
        if (!at(TokenKind::LParen)) {
          expect(TokenKind::LParen, "to begin the tensor constructor's arguments");
          return expr<ErrorExpr>(from(t.begin));
        }
        Token open = advance();
        NodeList<Arg> args = arguments(open);
        return expr<TensorCtor>(from(t.begin), elem->first, elem->second, args);
      }
      default:
        break;
    }
    error(DiagCode::E0201, expect_range(),
          fmt::format("expected an expression, found {}", describe(t)));
    return error_expr();
  }

  SyntaxTree& tree_;
  Arena& arena_;
  const std::vector<Token>& toks_;
  DiagnosticSink& diags_;
  const ParseOptions& options_;
  FileId file_;
  size_t pos_ = 0;
  uint32_t prev_end_ = 0;
  uint32_t depth_ = 0;
  std::vector<uint32_t> heights_;  // by Expr::id: the height of the expression tree it roots
  bool panic_ = false;
  size_t error_pos_ = 0;
  std::vector<TokenKind> open_;        // expression brackets open now
  std::vector<TokenKind> error_open_;  // ... when the current error was reported
  const MainBlock* main_ = nullptr;
  bool unclosed_reported_ = false;
  std::vector<Stmt*> pending_;  // statements a destructuring `let` expands to, after it
  std::vector<FloorDivComment> floor_divs_;
  uint32_t destructures_ = 0;  // `let a, b = e` so far: numbers their hidden variables
};

}  // namespace

std::unique_ptr<SyntaxTree> parse(std::shared_ptr<const SourceFile> file,
                                  const ParseOptions& options) {
  auto tree = std::make_unique<SyntaxTree>(std::move(file));
  DiagnosticSink diags(options.error_limit);
  LexResult lexed = lex(tree->source(), diags);
  tree->mutable_tokens() = std::move(lexed.tokens);
  tree->mutable_comments() = std::move(lexed.comments);
  Parser parser(*tree, diags, options);
  tree->set_module(parser.parse_module());
  if (diags.dropped_count() > 0) {
    const SourceFile& f = tree->source();
    diags.report(Severity::Note, DiagCode::E0215, SourceRange{f.id(), f.size(), f.size()},
                 fmt::format("{} more errors not shown (limit {})", diags.dropped_count(),
                             options.error_limit));
  }
  std::vector<Diagnostic> sorted = diags.take();
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.range.begin < b.range.begin;
  });
  tree->mutable_diagnostics() = std::move(sorted);
  return tree;
}

}  // namespace tl
