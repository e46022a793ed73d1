// The TL syntax tree. Built for the editor first (clang / rust-analyzer habits):
//  - every node carries its SourceRange (file + byte offsets);
//  - nodes live in an Arena owned by the SyntaxTree; they are trivially destructible plain data,
//    children are raw pointers and NodeList<T> (pointer + count) into the same arena, names are
//    string_views into the source text (or the arena for decoded strings);
//  - every Expr has a dense id in [0, SyntaxTree::expr_count()), so later layers keep types and
//    shapes in std::vector side tables instead of maps or fields here;
//  - LLVM-style `kind` + isa<>/cast<>/dyn_cast<>, a Visitor and for_each_child;
//  - comments are not nodes: SyntaxTree::comments() lists them (with ranges) for the formatter;
//  - the tree is immutable after parsing; a syntax error leaves ErrorExpr/ErrorStmt/ErrorType nodes
//    in place so the rest of the file still has a tree.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "compiler/syntax/diagnostics.h"
#include "compiler/syntax/source.h"
#include "compiler/syntax/token.h"

namespace tl::ast {

enum class NodeKind : uint8_t {
#define TL_AST_EXPR(Name) Name,
#define TL_AST_STMT(Name) Name,
#define TL_AST_DECL(Name) Name,
#define TL_AST_TYPE(Name) Name,
#include "compiler/syntax/ast_nodes.def"
  Module,
  FirstExpr = IntLit,
  LastExpr = ErrorExpr,
  FirstStmt = Let,  // statements include declarations (FnDecl..MainBlock)
  LastStmt = MainBlock,
  FirstDecl = FnDecl,
  LastDecl = MainBlock,
  FirstType = TensorType,
  LastType = ErrorType,
};
std::string_view node_kind_name(NodeKind k);  // "Binary", "FnDecl", ...

// --- arena --------------------------------------------------------------------------------------

// A view of `size` elements in the arena.
template <class T>
class NodeList {
 public:
  NodeList() = default;
  NodeList(T* data, uint32_t size) : data_(data), size_(size) {}
  T* begin() const { return data_; }
  T* end() const { return data_ + size_; }
  uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](uint32_t i) const { return data_[i]; }
  T& front() const { return data_[0]; }
  T& back() const { return data_[size_ - 1]; }

 private:
  T* data_ = nullptr;
  uint32_t size_ = 0;
};

// Bump allocator. Only trivially destructible objects go in, so freeing is dropping the blocks.
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  void* allocate(size_t size, size_t align);
  template <class T, class... Args>
  T* make(Args&&... args) {
    static_assert(std::is_trivially_destructible_v<T>);
    return new (allocate(sizeof(T), alignof(T))) T(std::forward<Args>(args)...);
  }
  template <class T>
  NodeList<T> copy(const std::vector<T>& v) {
    static_assert(std::is_trivially_destructible_v<T>);
    if (v.empty()) return {};
    T* p = static_cast<T*>(allocate(sizeof(T) * v.size(), alignof(T)));
    for (size_t i = 0; i < v.size(); ++i) new (p + i) T(v[i]);
    return {p, static_cast<uint32_t>(v.size())};
  }
  std::string_view copy(std::string_view s);
  size_t bytes_used() const { return used_; }

 private:
  std::vector<std::unique_ptr<std::byte[]>> blocks_;
  std::byte* cur_ = nullptr;
  size_t left_ = 0;
  size_t used_ = 0;
};

// --- base classes -------------------------------------------------------------------------------

struct Node {
  NodeKind kind;
  SourceRange range;

 protected:
  Node(NodeKind k, SourceRange r) : kind(k), range(r) {}
};

struct Expr : Node {
  uint32_t id;  // dense per tree: index for side tables
  static bool classof(const Node* n) {
    return n->kind >= NodeKind::FirstExpr && n->kind <= NodeKind::LastExpr;
  }

 protected:
  Expr(NodeKind k, SourceRange r, uint32_t i) : Node(k, r), id(i) {}
};

struct Stmt : Node {
  static bool classof(const Node* n) {
    return n->kind >= NodeKind::FirstStmt && n->kind <= NodeKind::LastStmt;
  }

 protected:
  using Node::Node;
};

// Declarations are statements (they appear as Module items, in source order, beside script-style
// statements), but only at the top level.
struct Decl : Stmt {
  static bool classof(const Node* n) {
    return n->kind >= NodeKind::FirstDecl && n->kind <= NodeKind::LastDecl;
  }

 protected:
  using Stmt::Stmt;
};

struct TypeRef : Node {
  static bool classof(const Node* n) {
    return n->kind >= NodeKind::FirstType && n->kind <= NodeKind::LastType;
  }

 protected:
  using Node::Node;
};

// --- LLVM-style casts ---------------------------------------------------------------------------

template <class T>
bool isa(const Node* n) {
  return n && T::classof(n);
}
template <class T>
T* cast(Node* n) {
  assert(isa<T>(n));
  return static_cast<T*>(n);
}
template <class T>
const T* cast(const Node* n) {
  assert(isa<T>(n));
  return static_cast<const T*>(n);
}
template <class T>
T* dyn_cast(Node* n) {
  return isa<T>(n) ? static_cast<T*>(n) : nullptr;
}
template <class T>
const T* dyn_cast(const Node* n) {
  return isa<T>(n) ? static_cast<const T*>(n) : nullptr;
}

#define TL_AST_LEAF(Name, Base)                     \
  static constexpr NodeKind kKind = NodeKind::Name; \
  static bool classof(const Node* n) {              \
    return n->kind == NodeKind::Name;               \
  }

// --- types --------------------------------------------------------------------------------------

struct Dim {
  enum class Kind : uint8_t { Int, Name, Unknown };  // 4 | N | ?
  Kind kind;
  int64_t value;          // Kind::Int
  std::string_view name;  // Kind::Name
  SourceRange range;
};

// float16[N, D_in], float32[2, 3], float16[] (rank 0)
struct TensorType : TypeRef {
  TL_AST_LEAF(TensorType, TypeRef)
  std::string_view element;  // "float16", "int32" (the checker judges the name)
  SourceRange element_range;
  NodeList<Dim> dims;
  TensorType(SourceRange r, std::string_view e, SourceRange er, NodeList<Dim> d)
      : TypeRef(kKind, r), element(e), element_range(er), dims(d) {}
};

// int, float, bool, string, Shape, Model, float16 (no dims), ... (the checker judges the name)
struct NamedType : TypeRef {
  TL_AST_LEAF(NamedType, TypeRef)
  std::string_view name;
  NamedType(SourceRange r, std::string_view n) : TypeRef(kKind, r), name(n) {}
};

struct ErrorType : TypeRef {
  TL_AST_LEAF(ErrorType, TypeRef)
  explicit ErrorType(SourceRange r) : TypeRef(kKind, r) {}
};

// --- expressions --------------------------------------------------------------------------------

struct IntLit : Expr {
  TL_AST_LEAF(IntLit, Expr)
  std::string_view text;  // as written
  uint64_t value;         // saturated at UINT64_MAX when too large (E0106 reported)
  IntLit(SourceRange r, uint32_t i, std::string_view t, uint64_t v)
      : Expr(kKind, r, i), text(t), value(v) {}
};

struct FloatLit : Expr {
  TL_AST_LEAF(FloatLit, Expr)
  std::string_view text;  // as written: the formatter keeps it, the compiler rounds it once
  double value;
  FloatLit(SourceRange r, uint32_t i, std::string_view t, double v)
      : Expr(kKind, r, i), text(t), value(v) {}
};

struct StringLit : Expr {
  TL_AST_LEAF(StringLit, Expr)
  std::string_view value;  // escapes decoded
  std::string_view raw;    // as written, quotes included
  StringLit(SourceRange r, uint32_t i, std::string_view v, std::string_view w)
      : Expr(kKind, r, i), value(v), raw(w) {}
};

struct BoolLit : Expr {
  TL_AST_LEAF(BoolLit, Expr)
  bool value;
  BoolLit(SourceRange r, uint32_t i, bool v) : Expr(kKind, r, i), value(v) {}
};

struct Ident : Expr {
  TL_AST_LEAF(Ident, Expr)
  std::string_view name;
  Ident(SourceRange r, uint32_t i, std::string_view n) : Expr(kKind, r, i), name(n) {}
};

enum class UnaryOp : uint8_t { Neg, Not };
std::string_view unary_op_spelling(UnaryOp op);  // "-", "!"

struct Unary : Expr {
  TL_AST_LEAF(Unary, Expr)
  UnaryOp op;
  Expr* operand;
  Unary(SourceRange r, uint32_t i, UnaryOp o, Expr* e) : Expr(kKind, r, i), op(o), operand(e) {}
};

// In order of increasing precedence groups (see binary_op_precedence).
enum class BinaryOp : uint8_t {
  Or,
  And,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  Add,
  Sub,
  Mul,
  Div,
  Mod,
  MatMul,
  Pow
};
std::string_view binary_op_spelling(BinaryOp op);  // "||", "@", "**", ...
// 1 (||) .. 7 (**); higher binds tighter. Unary operators sit between 6 and 7 (see docs).
int binary_op_precedence(BinaryOp op);
bool binary_op_right_assoc(BinaryOp op);  // only **

struct Binary : Expr {
  TL_AST_LEAF(Binary, Expr)
  BinaryOp op;
  SourceRange op_range;
  Expr* lhs;
  Expr* rhs;
  Binary(SourceRange r, uint32_t i, BinaryOp o, SourceRange orr, Expr* l, Expr* rr)
      : Expr(kKind, r, i), op(o), op_range(orr), lhs(l), rhs(rr) {}
};

// An argument of a call or tensor constructor: `x` or `device: gpu`.
struct Arg {
  std::string_view name;   // empty for a positional argument
  SourceRange name_range;  // invalid for a positional argument
  Expr* value;
  SourceRange range;  // name (if any) through value
  bool named() const { return !name.empty(); }
};

struct Call : Expr {
  TL_AST_LEAF(Call, Expr)
  Expr* callee;  // Ident for f(x); Member for model.get_tensor(x)
  NodeList<Arg> args;
  Call(SourceRange r, uint32_t i, Expr* c, NodeList<Arg> a)
      : Expr(kKind, r, i), callee(c), args(a) {}
};

struct Member : Expr {
  TL_AST_LEAF(Member, Expr)
  Expr* object;
  std::string_view name;
  SourceRange name_range;
  Member(SourceRange r, uint32_t i, Expr* o, std::string_view n, SourceRange nr)
      : Expr(kKind, r, i), object(o), name(n), name_range(nr) {}
};

// `start:stop:step`, each part optional; only inside Index::items.
struct Slice : Expr {
  TL_AST_LEAF(Slice, Expr)
  Expr* start;          // nullable
  Expr* stop;           // nullable
  Expr* step;           // nullable
  bool has_step_colon;  // `a::2` or `::` (second colon written)
  Slice(SourceRange r, uint32_t i, Expr* a, Expr* b, Expr* c, bool sc)
      : Expr(kKind, r, i), start(a), stop(b), step(c), has_step_colon(sc) {}
};

// x[i], x[a:b, :, ::2], model.blk[0]
struct Index : Expr {
  TL_AST_LEAF(Index, Expr)
  Expr* object;
  NodeList<Expr*> items;  // each an expression or a Slice
  Index(SourceRange r, uint32_t i, Expr* o, NodeList<Expr*> it)
      : Expr(kKind, r, i), object(o), items(it) {}
};

// [a, b, [c, d]]
struct ListLit : Expr {
  TL_AST_LEAF(ListLit, Expr)
  NodeList<Expr*> elements;
  bool trailing_comma;
  ListLit(SourceRange r, uint32_t i, NodeList<Expr*> e, bool tc)
      : Expr(kKind, r, i), elements(e), trailing_comma(tc) {}
};

struct MapEntry {
  Expr* key;
  Expr* value;
};

// {"name": t, "other": u}
struct MapLit : Expr {
  TL_AST_LEAF(MapLit, Expr)
  NodeList<MapEntry> entries;
  bool trailing_comma;
  MapLit(SourceRange r, uint32_t i, NodeList<MapEntry> e, bool tc)
      : Expr(kKind, r, i), entries(e), trailing_comma(tc) {}
};

// tensor<float16>([[1.0, 2.0]], device: gpu)
struct TensorCtor : Expr {
  TL_AST_LEAF(TensorCtor, Expr)
  std::string_view element;
  SourceRange element_range;
  NodeList<Arg> args;
  TensorCtor(SourceRange r, uint32_t i, std::string_view e, SourceRange er, NodeList<Arg> a)
      : Expr(kKind, r, i), element(e), element_range(er), args(a) {}
};

// (e): kept so that the formatter can preserve the user's parentheses.
struct Paren : Expr {
  TL_AST_LEAF(Paren, Expr)
  Expr* inner;
  Paren(SourceRange r, uint32_t i, Expr* e) : Expr(kKind, r, i), inner(e) {}
};

struct ErrorExpr : Expr {
  TL_AST_LEAF(ErrorExpr, Expr)
  ErrorExpr(SourceRange r, uint32_t i) : Expr(kKind, r, i) {}
};

// --- statements ---------------------------------------------------------------------------------

struct Block : Stmt {
  TL_AST_LEAF(Block, Stmt)
  NodeList<Stmt*> stmts;
  Block(SourceRange r, NodeList<Stmt*> s) : Stmt(kKind, r), stmts(s) {}
};

enum class LetSpelling : uint8_t { Let, ColonEqual };  // `let x = e` | `x := e`

struct Let : Stmt {
  TL_AST_LEAF(Let, Stmt)
  LetSpelling spelling;
  std::string_view name;
  SourceRange name_range;
  TypeRef* type;  // nullable (`:=` never has one)
  Expr* init;     // never null (ErrorExpr after a syntax error)
  Let(SourceRange r, LetSpelling s, std::string_view n, SourceRange nr, TypeRef* t, Expr* i)
      : Stmt(kKind, r), spelling(s), name(n), name_range(nr), type(t), init(i) {}
};

// `target = value`. Where target is a bare name not yet bound, the checker makes it a declaration.
struct Assign : Stmt {
  TL_AST_LEAF(Assign, Stmt)
  Expr* target;  // Ident, Member or Index
  Expr* value;
  Assign(SourceRange r, Expr* t, Expr* v) : Stmt(kKind, r), target(t), value(v) {}
};

struct ExprStmt : Stmt {
  TL_AST_LEAF(ExprStmt, Stmt)
  Expr* expr;
  ExprStmt(SourceRange r, Expr* e) : Stmt(kKind, r), expr(e) {}
};

struct If : Stmt {
  TL_AST_LEAF(If, Stmt)
  Expr* cond;
  Block* then_block;
  Stmt* else_branch;  // nullable; a Block or (for `else if`) an If
  If(SourceRange r, Expr* c, Block* t, Stmt* e)
      : Stmt(kKind, r), cond(c), then_block(t), else_branch(e) {}
};

struct While : Stmt {
  TL_AST_LEAF(While, Stmt)
  Expr* cond;
  Block* body;
  While(SourceRange r, Expr* c, Block* b) : Stmt(kKind, r), cond(c), body(b) {}
};

struct For : Stmt {
  TL_AST_LEAF(For, Stmt)
  std::string_view var;
  SourceRange var_range;
  Expr* iterable;
  Block* body;
  For(SourceRange r, std::string_view v, SourceRange vr, Expr* it, Block* b)
      : Stmt(kKind, r), var(v), var_range(vr), iterable(it), body(b) {}
};

struct Break : Stmt {
  TL_AST_LEAF(Break, Stmt)
  explicit Break(SourceRange r) : Stmt(kKind, r) {}
};

struct Continue : Stmt {
  TL_AST_LEAF(Continue, Stmt)
  explicit Continue(SourceRange r) : Stmt(kKind, r) {}
};

struct Return : Stmt {
  TL_AST_LEAF(Return, Stmt)
  Expr* value;  // nullable
  Return(SourceRange r, Expr* v) : Stmt(kKind, r), value(v) {}
};

struct ErrorStmt : Stmt {
  TL_AST_LEAF(ErrorStmt, Stmt)
  explicit ErrorStmt(SourceRange r) : Stmt(kKind, r) {}
};

// --- declarations -------------------------------------------------------------------------------

struct Param {
  std::string_view name;
  SourceRange name_range;
  TypeRef* type;  // nullable: `fn f(x)` leaves the type to inference
  SourceRange range;
  Expr* default_value = nullptr;  // `eps: float = 1e-5`: a literal, used when the call omits it
};

enum class FnKeyword : uint8_t { Fn, Function };

struct FnDecl : Decl {
  TL_AST_LEAF(FnDecl, Decl)
  FnKeyword keyword;
  std::string_view name;
  SourceRange name_range;
  NodeList<Param> params;
  TypeRef* return_type;  // nullable
  Block* body;
  FnDecl(SourceRange r, FnKeyword k, std::string_view n, SourceRange nr, NodeList<Param> p,
         TypeRef* rt, Block* b)
      : Decl(kKind, r), keyword(k), name(n), name_range(nr), params(p), return_type(rt), body(b) {}
};

enum class Qualifier : uint8_t { None, Learnable, Frozen };

// tensor w: float16[2, 3] learnable = [[...], [...]]
struct TensorDecl : Decl {
  TL_AST_LEAF(TensorDecl, Decl)
  std::string_view name;
  SourceRange name_range;
  TypeRef* type;  // never null (ErrorType after a syntax error)
  Qualifier qualifier;
  Expr* init;  // nullable
  TensorDecl(SourceRange r, std::string_view n, SourceRange nr, TypeRef* t, Qualifier q, Expr* i)
      : Decl(kKind, r), name(n), name_range(nr), type(t), qualifier(q), init(i) {}
};

struct ImportDecl : Decl {
  TL_AST_LEAF(ImportDecl, Decl)
  StringLit* path;  // never null; path->value is the decoded path
  ImportDecl(SourceRange r, StringLit* p) : Decl(kKind, r), path(p) {}
};

struct MainBlock : Decl {
  TL_AST_LEAF(MainBlock, Decl)
  Block* body;
  MainBlock(SourceRange r, Block* b) : Decl(kKind, r), body(b) {}
};

struct Module : Node {
  static constexpr NodeKind kKind = NodeKind::Module;
  static bool classof(const Node* n) { return n->kind == NodeKind::Module; }
  NodeList<Stmt*> items;  // declarations and top-level statements, in source order
  Module(SourceRange r, NodeList<Stmt*> i) : Node(kKind, r), items(i) {}
};

#undef TL_AST_LEAF

// --- comments and the tree ----------------------------------------------------------------------

struct Comment {
  SourceRange range;   // the whole comment, `//` or `/*` through end of line or `*/`
  bool block;          // /* ... */
  bool own_line;       // nothing but whitespace before it on its line
  bool newline_after;  // a line break follows (only whitespace between); always true for `//`
};

// The result of parsing one file. Owns the nodes (arena), keeps the source alive, and holds the
// tokens, comments and the syntax diagnostics. Not copyable; pass by reference or unique_ptr.
class SyntaxTree {
 public:
  explicit SyntaxTree(std::shared_ptr<const SourceFile> source) : source_(std::move(source)) {}
  SyntaxTree(const SyntaxTree&) = delete;
  SyntaxTree& operator=(const SyntaxTree&) = delete;

  const Module* module() const { return module_; }
  const SourceFile& source() const { return *source_; }
  const std::shared_ptr<const SourceFile>& source_ptr() const { return source_; }
  const std::vector<Token>& tokens() const { return tokens_; }        // ends with Eof
  const std::vector<Comment>& comments() const { return comments_; }  // in source order
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  bool has_errors() const;
  uint32_t expr_count() const { return expr_count_; }  // Expr::id < expr_count()
  std::string_view text(SourceRange r) const { return source_->slice(r); }

  // For the parser.
  Arena& arena() { return arena_; }
  void set_module(Module* m) { module_ = m; }
  std::vector<Token>& mutable_tokens() { return tokens_; }
  std::vector<Comment>& mutable_comments() { return comments_; }
  std::vector<Diagnostic>& mutable_diagnostics() { return diagnostics_; }
  uint32_t next_expr_id() { return expr_count_++; }

 private:
  std::shared_ptr<const SourceFile> source_;
  Arena arena_;
  Module* module_ = nullptr;
  std::vector<Token> tokens_;
  std::vector<Comment> comments_;
  std::vector<Diagnostic> diagnostics_;
  uint32_t expr_count_ = 0;
};

// --- traversal ----------------------------------------------------------------------------------

// Calls f(const Node*) for each direct child node, in source order. Types are children too
// (Let::type, Param::type, FnDecl::return_type, TensorDecl::type). Null children are skipped.
template <class F>
void for_each_child(const Node* n, F&& f) {
  auto visit = [&](const Node* c) {
    if (c) f(c);
  };
  auto args = [&](NodeList<Arg> as) {
    for (const Arg& a : as) visit(a.value);
  };
  switch (n->kind) {
    case NodeKind::Unary:
      visit(cast<Unary>(n)->operand);
      break;
    case NodeKind::Binary:
      visit(cast<Binary>(n)->lhs);
      visit(cast<Binary>(n)->rhs);
      break;
    case NodeKind::Call:
      visit(cast<Call>(n)->callee);
      args(cast<Call>(n)->args);
      break;
    case NodeKind::Member:
      visit(cast<Member>(n)->object);
      break;
    case NodeKind::Index:
      visit(cast<Index>(n)->object);
      for (const Expr* e : cast<Index>(n)->items) visit(e);
      break;
    case NodeKind::Slice:
      visit(cast<Slice>(n)->start);
      visit(cast<Slice>(n)->stop);
      visit(cast<Slice>(n)->step);
      break;
    case NodeKind::ListLit:
      for (const Expr* e : cast<ListLit>(n)->elements) visit(e);
      break;
    case NodeKind::MapLit:
      for (const MapEntry& e : cast<MapLit>(n)->entries) {
        visit(e.key);
        visit(e.value);
      }
      break;
    case NodeKind::TensorCtor:
      args(cast<TensorCtor>(n)->args);
      break;
    case NodeKind::Paren:
      visit(cast<Paren>(n)->inner);
      break;
    case NodeKind::Block:
      for (const Stmt* s : cast<Block>(n)->stmts) visit(s);
      break;
    case NodeKind::Let:
      visit(cast<Let>(n)->type);
      visit(cast<Let>(n)->init);
      break;
    case NodeKind::Assign:
      visit(cast<Assign>(n)->target);
      visit(cast<Assign>(n)->value);
      break;
    case NodeKind::ExprStmt:
      visit(cast<ExprStmt>(n)->expr);
      break;
    case NodeKind::If:
      visit(cast<If>(n)->cond);
      visit(cast<If>(n)->then_block);
      visit(cast<If>(n)->else_branch);
      break;
    case NodeKind::While:
      visit(cast<While>(n)->cond);
      visit(cast<While>(n)->body);
      break;
    case NodeKind::For:
      visit(cast<For>(n)->iterable);
      visit(cast<For>(n)->body);
      break;
    case NodeKind::Return:
      visit(cast<Return>(n)->value);
      break;
    case NodeKind::FnDecl:
      for (const Param& p : cast<FnDecl>(n)->params) {
        visit(p.type);
        visit(p.default_value);
      }
      visit(cast<FnDecl>(n)->return_type);
      visit(cast<FnDecl>(n)->body);
      break;
    case NodeKind::TensorDecl:
      visit(cast<TensorDecl>(n)->type);
      visit(cast<TensorDecl>(n)->init);
      break;
    case NodeKind::ImportDecl:
      visit(cast<ImportDecl>(n)->path);
      break;
    case NodeKind::MainBlock:
      visit(cast<MainBlock>(n)->body);
      break;
    case NodeKind::Module:
      for (const Stmt* s : cast<Module>(n)->items) visit(s);
      break;
    default:
      break;  // leaves
  }
}

// Pre-order walk of the whole subtree; f(const Node*) returns false to skip a node's children.
template <class F>
void walk(const Node* n, F&& f) {
  if (!n || !f(n)) return;
  for_each_child(n, [&](const Node* c) { walk(c, f); });
}

// The nodes whose range contains `offset`, outermost (the Module) first, innermost last: what an
// editor needs for hover, go-to-definition and completion (the parents come with it). Uses the
// half-open ranges, but also accepts offset == end so that a cursor just after `foo` finds it.
std::vector<const Node*> nodes_at(const Node* root, uint32_t offset);

// CRTP visitor: `struct V : Visitor<V, R> { R visitBinary(const Binary*); ... }`, then
// `v.visit(node)`. Unhandled kinds fall back to visitExpr / visitStmt / visitDecl / visitType, then
// visitNode (which returns R{}).
template <class Derived, class R = void>
class Visitor {
 public:
  R visit(const Node* n) {
    switch (n->kind) {
#define TL_AST_EXPR(Name) \
  case NodeKind::Name:    \
    return self().visit##Name(static_cast<const Name*>(n));
#define TL_AST_STMT(Name) TL_AST_EXPR(Name)
#define TL_AST_DECL(Name) TL_AST_EXPR(Name)
#define TL_AST_TYPE(Name) TL_AST_EXPR(Name)
#include "compiler/syntax/ast_nodes.def"
      case NodeKind::Module:
        return self().visitModule(static_cast<const Module*>(n));
    }
    return R();
  }

#define TL_AST_EXPR(Name)        \
  R visit##Name(const Name* n) { \
    return self().visitExpr(n);  \
  }
#define TL_AST_STMT(Name)        \
  R visit##Name(const Name* n) { \
    return self().visitStmt(n);  \
  }
#define TL_AST_DECL(Name)        \
  R visit##Name(const Name* n) { \
    return self().visitDecl(n);  \
  }
#define TL_AST_TYPE(Name)        \
  R visit##Name(const Name* n) { \
    return self().visitType(n);  \
  }
#include "compiler/syntax/ast_nodes.def"
  R visitModule(const Module* n) {
    return self().visitNode(n);
  }
  R visitExpr(const Expr* n) {
    return self().visitNode(n);
  }
  R visitStmt(const Stmt* n) {
    return self().visitNode(n);
  }
  R visitDecl(const Decl* n) {
    return self().visitStmt(n);
  }
  R visitType(const TypeRef* n) {
    return self().visitNode(n);
  }
  R visitNode(const Node*) {
    return R();
  }

 private:
  Derived& self() {
    return static_cast<Derived&>(*this);
  }
};

// --- dump ---------------------------------------------------------------------------------------

struct DumpOptions {
  bool ranges = false;    // append @LINE:COL-LINE:COL to every node
  bool spellings = true;  // print fn|function and let|:= (off: spellings the formatter may change)
};
// A stable S-expression dump, one node per line, two-space indentation:
//   (Module
//     (Let x
//       (Binary + (Ident a) (IntLit 1))))
// Golden tests compare it; the formatter compares the dumps (ranges off) of the input and its
// output to prove that formatting kept the meaning.
std::string dump(const Node* n, const SourceFile& source, DumpOptions options = {});
std::string dump(const SyntaxTree& tree, DumpOptions options = {});

}  // namespace tl::ast
