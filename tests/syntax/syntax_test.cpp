// Unit tests of the syntax layer's API: positions, lexer, AST API, parser details, renderers.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "compiler/syntax/lexer.h"
#include "compiler/syntax/parser.h"

namespace tl {
namespace {

using namespace ast;

std::unique_ptr<SyntaxTree> parse_text(std::string text) {
  static SourceManager sm;  // test-local storage only; the library has no globals
  return parse(sm.add("t.tl", std::move(text)));
}

std::string dump_expr(const std::string& expr) {
  auto tree = parse_text("x = " + expr);
  EXPECT_TRUE(tree->diagnostics().empty()) << expr;
  const auto* a = cast<Assign>(tree->module()->items[0]);
  return dump(a->value, tree->source());
}

TEST(Source, LineColumnInBytesAndUtf16) {
  // "// 日本語" then "x": 日 is 3 bytes / 1 UTF-16 unit; 😀 is 4 bytes / 2 units.
  SourceFile f(0, "a.tl", "// 日本\nab😀c\n");
  LineColumn p = f.position(3 + 3);  // after 日
  EXPECT_EQ(p.line, 1u);
  EXPECT_EQ(p.column, 7u);
  EXPECT_EQ(p.column_utf16, 5u);
  uint32_t c = static_cast<uint32_t>(f.text().find('c'));
  p = f.position(c);
  EXPECT_EQ(p.line, 2u);
  EXPECT_EQ(p.column, 7u);        // a b + 4 bytes
  EXPECT_EQ(p.column_utf16, 5u);  // a b + 2 units
  EXPECT_EQ(f.offset_from_utf16(2, 4), c);
  EXPECT_EQ(f.line_text(2), "ab😀c");
  EXPECT_EQ(f.line_count(), 3u);
  EXPECT_EQ(f.position(9999).line, 3u);  // clamped
}

TEST(Source, BlankLinesBetween) {
  SourceFile f(0, "a.tl", "a\n\n  \nb\nc\n");
  EXPECT_EQ(f.blank_lines_between(0, static_cast<uint32_t>(f.text().find('b'))), 2u);
  EXPECT_EQ(f.blank_lines_between(static_cast<uint32_t>(f.text().find('b')),
                                  static_cast<uint32_t>(f.text().find('c'))),
            0u);
}

TEST(Lexer, TokensNewlinesAndComments) {
  SourceFile f(0, "a.tl", "let x := 1.5e3 ** 2 // c\n/* b\n */ y->z ? a<=b");
  DiagnosticSink d;
  LexResult r = lex(f, d);
  EXPECT_TRUE(d.diagnostics().empty());
  std::vector<TokenKind> kinds;
  for (const Token& t : r.tokens) kinds.push_back(t.kind);
  using K = TokenKind;
  std::vector<K> want = {K::Let,        K::Identifier, K::ColonEqual, K::FloatLiteral, K::StarStar,
                         K::IntLiteral, K::Identifier, K::Arrow,      K::Identifier,   K::Question,
                         K::Identifier, K::LessEqual,  K::Identifier, K::Eof};
  EXPECT_EQ(kinds, want);
  EXPECT_TRUE(r.tokens[0].newline_before);
  EXPECT_FALSE(r.tokens[1].newline_before);
  EXPECT_TRUE(r.tokens[6].newline_before);  // y: after the comments and a newline
  ASSERT_EQ(r.comments.size(), 2u);
  EXPECT_FALSE(r.comments[0].block);
  EXPECT_FALSE(r.comments[0].own_line);
  EXPECT_TRUE(r.comments[1].block);
  EXPECT_TRUE(r.comments[1].own_line);
  EXPECT_FALSE(r.comments[1].newline_after);
  EXPECT_EQ(f.slice(r.comments[0].range), "// c");
}

TEST(Lexer, EveryKeywordAndOperatorHasASpelling) {
  EXPECT_EQ(token_spelling(TokenKind::Function), "function");
  EXPECT_EQ(token_spelling(TokenKind::ColonEqual), ":=");
  EXPECT_TRUE(is_keyword(TokenKind::Frozen));
  EXPECT_FALSE(is_keyword(TokenKind::Question));
}

TEST(Lexer, StringEscapes) {
  auto tree = parse_text(R"(s = "a\n\t\"\\\u{3042}b")");
  ASSERT_TRUE(tree->diagnostics().empty());
  const auto* s = cast<StringLit>(cast<Assign>(tree->module()->items[0])->value);
  EXPECT_EQ(s->value,
            "a\n\t\"\\\xE3\x81\x82"
            "b");
  EXPECT_EQ(s->raw, R"("a\n\t\"\\\u{3042}b")");
}

TEST(Parser, Precedence) {
  EXPECT_EQ(dump_expr("a || b && c == d"),
            "(Binary || (Ident a) (Binary && (Ident b) (Binary == (Ident c) (Ident d))))\n");
  // ** is right-associative and binds tighter than unary minus.
  EXPECT_EQ(dump_expr("-a ** b ** c"),
            "(Unary - (Binary ** (Ident a) (Binary ** (Ident b) (Ident c))))\n");
  // Left-associative levels.
  EXPECT_EQ(dump_expr("a - b - c"), "(Binary - (Binary - (Ident a) (Ident b)) (Ident c))\n");
  EXPECT_EQ(dump_expr("a + b @ c * d"),
            "(Binary + (Ident a) (Binary * (Binary @ (Ident b) (Ident c)) (Ident d)))\n");
  // Postfix binds tighter than unary.
  EXPECT_EQ(dump_expr("-a[0]"), "(Unary - (Index (Ident a) (IntLit 0)))\n");
  EXPECT_EQ(dump_expr("a < b + 1"), "(Binary < (Ident a) (Binary + (Ident b) (IntLit 1)))\n");
  EXPECT_EQ(dump_expr("!a == b"), "(Binary == (Unary ! (Ident a)) (Ident b))\n");
  EXPECT_EQ(dump_expr("a % b ** 2 / c"),
            "(Binary / (Binary % (Ident a) (Binary ** (Ident b) (IntLit 2))) (Ident c))\n");
}

TEST(Parser, DumpWithRangesAndWithoutSpellings) {
  auto tree = parse_text("function f() { x := 1 }");
  ASSERT_TRUE(tree->diagnostics().empty());
  EXPECT_EQ(dump(*tree, {.ranges = true}),
            "(Module @1:1-1:24\n"
            "  (FnDecl f function @1:1-1:24\n"
            "    (Block @1:14-1:24 (Let x := @1:16-1:22 (IntLit 1 @1:21-1:22)))))\n");
  auto fn = parse_text("fn f() { let x = 1 }");
  EXPECT_EQ(dump(*tree, {.spellings = false}), dump(*fn, {.spellings = false}));
  EXPECT_NE(dump(*tree), dump(*fn));
}

TEST(Parser, ExpressionIdsAreDenseAndUnique) {
  auto tree = parse_text("fn f(x) { return x * 2 + g(x, k: [1, 2]) }\ny = f(3)[0:1]");
  ASSERT_TRUE(tree->diagnostics().empty());
  std::vector<int> seen(tree->expr_count(), 0);
  walk(tree->module(), [&](const Node* n) {
    if (const auto* e = dyn_cast<Expr>(n)) {
      EXPECT_LT(e->id, tree->expr_count());
      if (e->id < seen.size()) ++seen[e->id];
    }
    return true;
  });
  for (int s : seen) EXPECT_EQ(s, 1);
}

TEST(Parser, RangesCoverTheSource) {
  auto tree = parse_text("let y = model.blk[0].attn_q.weight");
  ASSERT_TRUE(tree->diagnostics().empty());
  const auto* let = cast<Let>(tree->module()->items[0]);
  EXPECT_EQ(tree->text(let->range), "let y = model.blk[0].attn_q.weight");
  EXPECT_EQ(tree->text(let->name_range), "y");
  const auto* m = cast<Member>(let->init);
  EXPECT_EQ(m->name, "weight");
  EXPECT_EQ(tree->text(m->name_range), "weight");
  EXPECT_EQ(tree->text(m->object->range), "model.blk[0].attn_q");
}

TEST(Parser, CastsAndVisitor) {
  auto tree = parse_text(
      "fn f(a: float16[N, ?, 3]) -> int { 1 }\nmain { f(x) }\ntensor w: float16[2] frozen");
  ASSERT_TRUE(tree->diagnostics().empty());
  const Module* m = tree->module();
  ASSERT_EQ(m->items.size(), 3u);
  EXPECT_TRUE(isa<Decl>(m->items[0]));
  EXPECT_TRUE(isa<Stmt>(m->items[0]));
  EXPECT_FALSE(isa<Expr>(m->items[0]));
  const auto* f = cast<FnDecl>(m->items[0]);
  const auto* t = cast<TensorType>(f->params[0].type);
  ASSERT_EQ(t->dims.size(), 3u);
  EXPECT_EQ(t->dims[0].kind, Dim::Kind::Name);
  EXPECT_EQ(t->dims[1].kind, Dim::Kind::Unknown);
  EXPECT_EQ(t->dims[2].value, 3);
  EXPECT_EQ(cast<NamedType>(f->return_type)->name, "int");
  EXPECT_EQ(cast<TensorDecl>(m->items[2])->qualifier, Qualifier::Frozen);

  struct Counter : Visitor<Counter, int> {
    int visitFnDecl(const FnDecl*) { return 1; }
    int visitMainBlock(const MainBlock*) { return 2; }
    int visitStmt(const Stmt*) { return 3; }
  } v;
  EXPECT_EQ(v.visit(m->items[0]), 1);
  EXPECT_EQ(v.visit(m->items[1]), 2);
  EXPECT_EQ(v.visit(m->items[2]), 3);  // TensorDecl -> visitDecl -> visitStmt
}

TEST(Parser, NodesAtOffsetGiveTheInnermostNodeAndItsParents) {
  auto tree = parse_text("fn f(a) {\n  return a.shape[0]\n}\n");
  ASSERT_TRUE(tree->diagnostics().empty());
  uint32_t at = static_cast<uint32_t>(tree->source().text().find("shape") + 1);
  auto path = nodes_at(tree->module(), at);
  ASSERT_GE(path.size(), 5u);
  EXPECT_EQ(path.front()->kind, NodeKind::Module);
  EXPECT_EQ(path[1]->kind, NodeKind::FnDecl);
  EXPECT_EQ(path.back()->kind, NodeKind::Member);
  EXPECT_EQ(cast<Member>(path.back())->name, "shape");
}

TEST(Lexer, ByteOrderMarkIsSkipped) {
  auto tree = parse_text("\xEF\xBB\xBFx = 1\n");
  EXPECT_TRUE(tree->diagnostics().empty());
  EXPECT_EQ(tree->module()->items.size(), 1u);
}

TEST(Parser, CommentsAreKeptOnTheTree) {
  auto tree = parse_text("// head\nx = 1 /* mid */ + 2\n\n// tail\n");
  ASSERT_TRUE(tree->diagnostics().empty());
  ASSERT_EQ(tree->comments().size(), 3u);
  EXPECT_EQ(tree->text(tree->comments()[1].range), "/* mid */");
  EXPECT_TRUE(tree->comments()[2].own_line);
  EXPECT_EQ(tree->source().blank_lines_between(tree->module()->items[0]->range.end,
                                               tree->comments()[2].range.begin),
            1u);
}

// 10,000 levels of each kind of nesting: one diagnostic, no stack overflow, a tree.
TEST(Parser, DeepNestingIsADiagnosticNotACrash) {
  const int n = 10000;
  std::vector<std::string> inputs = {
      "x = " + std::string(n, '(') + "1" + std::string(n, ')'),
      "x = " + std::string(n, '[') + "1" + std::string(n, ']'),
      "x = " + std::string(n, '-') + "1",
      "x = " + std::string(n, '!') + "true",
      "main " + std::string(n, '{') + std::string(n, '}'),
      "x = f" +
          [&] {
            std::string s;
            for (int i = 0; i < n; ++i) s += "(f";
            return s + std::string(n, ')');
          }(),
  };
  std::string pow = "x = a";
  for (int i = 0; i < n; ++i) pow += " ** a";
  inputs.push_back(pow);
  for (const std::string& in : inputs) {
    auto tree = parse_text(in);
    ASSERT_EQ(tree->diagnostics().size(), 1u) << in.substr(0, 40);
    EXPECT_EQ(tree->diagnostics()[0].code, DiagCode::E0208);
  }
}

// Operator and postfix chains nest the tree without recursing in the parser, yet every later pass
// (checker, codegen, formatter, LSP) walks them recursively: they count against the same limit.
TEST(Parser, LongChainsCountAsNesting) {
  auto chain = [](int terms, std::string_view first, std::string_view link) {
    std::string s = "x = " + std::string(first);
    for (int i = 1; i < terms; ++i) s += link;
    return s;
  };
  const int limit = static_cast<int>(kMaxNestingDepth);
  struct Chain {
    std::string_view first, link;
    int levels;  // tree levels per link: `.abs()` is a Member inside a Call
  };
  for (auto [first, link, levels] : std::vector<Chain>{{"1", " + 1", 1},
                                                       {"true", " && true", 1},
                                                       {"t", ".abs()", 2},
                                                       {"t", "[0]", 1},
                                                       {"f", "(1)", 1}}) {
    // Just under the limit: fine. Far past it: one positioned E0208, and the parse stops there.
    EXPECT_TRUE(parse_text(chain(limit / levels - 8, first, link))->diagnostics().empty()) << link;
    auto deep = parse_text(chain(50000, first, link));
    ASSERT_EQ(deep->diagnostics().size(), 1u) << link;
    EXPECT_EQ(deep->diagnostics()[0].code, DiagCode::E0208) << link;
    EXPECT_GT(deep->diagnostics()[0].range.begin, 0u) << link;
  }
}

TEST(Parser, ErrorLimitCapsDiagnostics) {
  std::string junk;
  for (int i = 0; i < 500; ++i) junk += ")\n";
  auto tree = parse_text(junk);
  ASSERT_EQ(tree->diagnostics().size(), 101u);  // 100 errors + the "more errors" note
  EXPECT_EQ(tree->diagnostics().back().severity, Severity::Note);
  EXPECT_EQ(tree->diagnostics().back().code, DiagCode::E0215);
}

TEST(Diagnostics, TextAndJson) {
  SourceManager sm;
  auto tree = parse(sm.add("d.tl", "// 日本語\nlet x = (1 +\n"));
  ASSERT_EQ(tree->diagnostics().size(), 1u);
  const Diagnostic& d = tree->diagnostics()[0];
  EXPECT_EQ(diag_info(d.code).id, "E0201");
  std::string text = render_text(d, sm, false);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "d.tl:2:13: error[E0201]: expected an expression, found end of file");
  EXPECT_NE(text.find(" 2 | let x = (1 +\n"), std::string::npos);
  EXPECT_EQ(text.find("\033["), std::string::npos);
  EXPECT_NE(render_text(d, sm, true).find("\033["), std::string::npos);
  nlohmann::json j = render_json(tree->diagnostics(), sm);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j[0]["file"], "d.tl");
  EXPECT_EQ(j[0]["line"], 2);
  EXPECT_EQ(j[0]["column"], 13);
  EXPECT_EQ(j[0]["endLine"], 2);
  EXPECT_EQ(j[0]["severity"], "error");
  EXPECT_EQ(j[0]["code"], "E0201");
  EXPECT_TRUE(j[0]["notes"].is_array());
}

TEST(Diagnostics, TableIsConsistent) {
  std::set<std::string_view> ids;
  for (DiagCode c : all_diag_codes()) {
    const DiagInfo& i = diag_info(c);
    EXPECT_TRUE(ids.insert(i.id).second) << i.id;
    EXPECT_EQ(i.id.size(), 5u);
    EXPECT_FALSE(i.description.empty());
  }
  EXPECT_EQ(diag_info(DiagCode::E0101).default_severity, Severity::Error);
}

TEST(Diagnostics, SinkNotesAndFixits) {
  DiagnosticSink sink(1);
  sink.report(DiagCode::E0201, {0, 1, 2}, "m").note({0, 0, 1}, "here").fix({0, 1, 1}, ")");
  sink.report(DiagCode::E0201, {0, 3, 4}, "dropped").note({0, 0, 1}, "also dropped");
  ASSERT_EQ(sink.diagnostics().size(), 1u);
  EXPECT_EQ(sink.diagnostics()[0].notes.size(), 1u);
  EXPECT_EQ(sink.diagnostics()[0].fixits.size(), 1u);
  EXPECT_EQ(sink.error_count(), 2u);
  EXPECT_EQ(sink.dropped_count(), 1u);
}

}  // namespace
}  // namespace tl
