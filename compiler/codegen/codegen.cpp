// AST -> register bytecode, in the manner of Lua's lcode.c: locals live in registers for their
// scope, temporaries are allocated above them and freed in stack order after each statement,
// forward jumps go to labels that the FunctionBuilder patches.
#include "compiler/codegen/codegen.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <limits>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "compiler/sema/builtin_sigs.h"
#include "compiler/sema/sema.h"
#include "compiler/sema/suggest.h"
#include "vm/bytecode/builder.h"
#include "vm/core/error.h"
#include "vm/tensor/backend.h"
#include "vm/tensor/elementwise.h"

namespace tl {
namespace {

using namespace ast;

constexpr int kMaxRegisters = 250;  // a little below 255: CALL bases need room for their args
// Locals take registers below this window; the ones declared past it live in the frame's spill
// slots (GETSPILL/SETSPILL, up to 65,535), so that no number of locals runs out of registers:
// the registers above stay for temporaries, call arguments and loop control.
constexpr int kLocalRegisters = 192;
// Top-level script variables kept in registers; the others live in global slots.
constexpr size_t kScriptRegisterNames = 128;

// A compile-time failure that aborts the current function (the diagnostic is already reported).
struct CompileAbort {};

// The unary builtins that map onto one TUNARY opcode when their argument is a tensor.
std::optional<tl::UnaryOp> tensor_unary_of(Builtin b) {
  switch (b) {
    case Builtin::Relu:
      return tl::UnaryOp::Relu;
    case Builtin::Gelu:
      return tl::UnaryOp::Gelu;
    case Builtin::Silu:
      return tl::UnaryOp::Silu;
    case Builtin::Sigmoid:
      return tl::UnaryOp::Sigmoid;
    case Builtin::Tanh:
      return tl::UnaryOp::Tanh;
    default:
      return std::nullopt;
  }
}

struct FunctionEntry {
  uint32_t index;
  const FnDecl* decl;
  const SyntaxTree* tree;
};

using sema::ExpectedDim;
using sema::RuntimeCheck;

// The checker's run-time checks of one file, by the expression they follow.
struct FileChecks {
  const sema::Analysis* analysis = nullptr;
  std::unordered_map<uint32_t, std::vector<const RuntimeCheck*>> by_expr;
  std::unordered_set<uint32_t> same_as_targets;  // expressions whose registers later checks read
};

// Names a function body may take from the top level: every name it mentions except its own
// parameters and `let`s. The top-level bindings among them live in global slots (the script's
// registers are invisible to functions); over-approximating only costs speed.
void collect_free_names(const FnDecl* fn, std::unordered_set<std::string_view>& out) {
  std::unordered_set<std::string_view> own;
  for (const Param& p : fn->params) own.insert(p.name);
  walk(fn->body, [&](const Node* c) {
    if (const auto* l = dyn_cast<Let>(c)) own.insert(l->name);
    if (const auto* f = dyn_cast<For>(c)) own.insert(f->var);
    return true;
  });
  walk(fn->body, [&](const Node* c) {
    if (const auto* id = dyn_cast<Ident>(c))
      if (!own.count(id->name)) out.insert(id->name);
    return true;
  });
}

class ProgramCompiler;

class FunctionCompiler {
 public:
  FunctionCompiler(ProgramCompiler& program, FunctionBuilder& fb, const SyntaxTree& tree,
                   bool is_script)
      : program_(program), fb_(fb), tree_(tree), is_script_(is_script) {}

  void compile_function(const FnDecl* fn);
  void compile_script_items(const SyntaxTree& tree, bool run_statements);
  void compile_main(const MainBlock* main);
  void finish_script();

 private:
  struct Local {
    std::string_view name;
    int reg;  // its register, or -1 when it lives in spill slot `spill`
    int spill = -1;
  };
  struct Loop {
    Label break_label;
    Label continue_label;
  };

  // --- registers and scopes ---
  int alloc(int n, SourceRange where);
  void release_to(int reg) { free_ = reg; }
  const Local* find_local(std::string_view name) const;
  // A local in a register (parameters, loop variables, size variables).
  int declare_local(std::string_view name, SourceRange where);
  // Evaluates `value` into a new local named `name`: a register below kLocalRegisters, else a
  // spill slot.
  void new_local(std::string_view name, SourceRange where, const Expr* value);
  // Evaluates `value` and stores it with SETGLOBAL/SETSPILL into `slot`.
  void store_to(OpCode set, int slot, const Expr* value, SourceRange where);
  size_t open_scope() const { return locals_.size(); }
  void close_scope(size_t mark);

  // --- positions ---
  const SyntaxTree* tree_file() const { return current_tree_ ? current_tree_ : &tree_; }
  void at(SourceRange r);
  [[noreturn]] void fail(SourceRange r, std::string message);

  // --- statements ---
  void stmt(const Stmt* s);
  void block(const Block* b);
  void let_stmt(const Let* s);
  void assign(const Assign* s);
  void index_assign(const ast::Index* ix, const Expr* value, SourceRange where);
  void slice_items(const ast::Index* ix, int slot);
  void bind_name(std::string_view name, SourceRange where, const Expr* value, bool declare);
  void if_stmt(const If* s);
  void while_stmt(const While* s);
  void for_stmt(const For* s);
  void return_stmt(const Return* s);
  void tensor_decl(const TensorDecl* d);
  void emit_return(int reg, bool has_value);

  // --- run-time shape checks (the checker's list; see sema::RuntimeCheck)
  // The checks that follow `e`, now in `reg`; remembers `reg` when later checks compare with e.
  void value_checks(const Expr* e, int reg);
  void emit_value_checks(const Expr* e, int reg);
  // One check of the value in `reg`; `reg_of` gives the register of an earlier checked value.
  void emit_check(const RuntimeCheck& rc, int reg, const std::function<int(uint32_t)>& reg_of);
  void emit_dim_equal(int a, uint32_t da, int b, uint32_t db, const std::string& message,
                      SourceRange where);

  // --- expressions ---
  void expr_to(const Expr* e, int dst);
  int expr_reg(const Expr* e);  // a register holding e's value (a local's own, or a new temp)
  void constant_to(int dst, const Expr* e);
  void int_to(int dst, int64_t v);
  void binary(const Binary* b, int dst);
  bool binary_constant(const Binary* b, int dst);
  // Returns the pc of the compare (or TEST); the JMP follows it.
  uint32_t jump_if_false(const Expr* cond, Label target);
  int call_base(int dst, int nargs, SourceRange where);
  void logical(const Binary* b, int dst);
  void call(const Call* c, int dst);
  void call_user(const FunctionEntry& f, const Call* c, int dst);
  void call_builtin(Builtin id, const Expr* receiver, NodeList<Arg> args, SourceRange where,
                    int dst);
  void emit_default(int dst, std::string_view literal, SourceRange where);
  void emit_literal(const Expr* e, int dst, SourceRange where);
  void member(const Member* m, int dst);
  void index(const Index* ix, int dst);
  void list(const ListLit* l, int dst);
  void map(const MapLit* m, int dst);
  bool property_path(const Expr* e, std::string& path, const Expr*& base) const;
  // --- fused element-wise chains ---
  struct Fusion;
  struct ElementwiseNode;
  bool fuse(const Expr* e, int dst);
  std::optional<ElementwiseNode> elementwise_node(const Expr* e) const;
  std::optional<uint16_t> fuse_tree(const Expr* e, Fusion& f, bool root);

  ProgramCompiler& program_;
  FunctionBuilder& fb_;
  const SyntaxTree& tree_;
  const SyntaxTree* current_tree_ = nullptr;  // the file whose nodes are being compiled
  bool is_script_;
  bool at_top_level_ = true;  // script statements outside any block: bindings may be globals
  int free_ = 0;
  int free_spill_ = 0;  // the next spill slot
  std::vector<Local> locals_;
  std::vector<Loop> loops_;
  const FnDecl* fn_ = nullptr;
  std::unordered_map<uint32_t, int> checked_regs_;  // expression id -> register (same_as_targets)
  // The arguments of the call being evaluated: their checks wait until all are evaluated.
  const std::vector<const Expr*>* deferred_args_ = nullptr;
};

class ProgramCompiler {
 public:
  ProgramCompiler(const ImportResolver& imports, DiagnosticSink& sink)
      : imports_(imports), sink_(sink) {}

  std::optional<tl::Module> compile(CheckedFile root);

  const FileChecks* checks_of(const SyntaxTree& t) const {
    auto it = checks_.find(&t);
    return it == checks_.end() ? nullptr : &it->second;
  }
  // Parameter checks on entry to `fn` (functions whose value escapes).
  std::span<const RuntimeCheck* const> entry_checks(const FnDecl* fn) const {
    auto it = entry_checks_.find(fn);
    if (it == entry_checks_.end()) return {};
    return it->second;
  }
  void emitted(const RuntimeCheck* rc) { emitted_.insert(rc); }
  // The checker's view of `fn`, from the analysis of its own file (null without one).
  const sema::FunctionInfo* function_info(const FnDecl* fn) const {
    auto it = function_infos_.find(fn);
    return it == function_infos_.end() ? nullptr : it->second;
  }
  CompileStats stats() const;

  ModuleBuilder& builder() { return mb_; }
  DiagnosticSink& sink() { return sink_; }
  // The checker's analysis of `t` (nullptr: none, and then no element-wise chain is fused).
  const sema::Analysis* analysis_of(const SyntaxTree& t) const {
    const FileChecks* fc = checks_of(t);
    return fc ? fc->analysis : nullptr;
  }
  const FunctionEntry* find_function(std::string_view name) const {
    auto it = functions_.find(name);
    return it == functions_.end() ? nullptr : &it->second;
  }
  std::optional<uint32_t> global_slot(std::string_view name) const {
    auto it = globals_.find(name);
    if (it == globals_.end()) return std::nullopt;
    return it->second;
  }
  uint32_t source_index(const SyntaxTree& t) {
    auto it = source_index_.find(&t);
    if (it != source_index_.end()) return it->second;
    const uint32_t i = mb_.source(t.source().path());
    source_index_.emplace(&t, i);
    return i;
  }

 private:
  void gather(CheckedFile file, std::vector<const SyntaxTree*>& order);
  void index_checks(const SyntaxTree& tree, const sema::Analysis& analysis);

  const ImportResolver& imports_;
  DiagnosticSink& sink_;
  ModuleBuilder mb_;
  std::unordered_map<std::string_view, FunctionEntry> functions_;
  std::unordered_map<std::string_view, uint32_t> globals_;
  std::unordered_map<const SyntaxTree*, uint32_t> source_index_;
  std::set<const SyntaxTree*> visiting_;
  std::unordered_map<const SyntaxTree*, FileChecks> checks_;
  std::unordered_map<const FnDecl*, std::vector<const RuntimeCheck*>> entry_checks_;
  std::unordered_map<const FnDecl*, const sema::Analysis*> entry_owner_;
  std::unordered_map<const FnDecl*, const sema::FunctionInfo*> function_infos_;
  std::unordered_set<const RuntimeCheck*> emitted_;
  size_t requested_ = 0;
};

// ------------------------------------------------------------------------------------------------
// Registers, scopes, positions

int FunctionCompiler::alloc(int n, SourceRange where) {
  const int r = free_;
  free_ += n;
  if (free_ > kMaxRegisters)
    fail(where, fmt::format("this needs more than {} registers at once (temporaries of nested "
                            "expressions, calls and loops): split it into smaller expressions",
                            kMaxRegisters));
  fb_.reserve_regs(free_);
  return r;
}

const FunctionCompiler::Local* FunctionCompiler::find_local(std::string_view name) const {
  for (auto it = locals_.rbegin(); it != locals_.rend(); ++it)
    if (it->name == name) return &*it;
  return nullptr;
}

int FunctionCompiler::declare_local(std::string_view name, SourceRange where) {
  const int reg = alloc(1, where);
  locals_.push_back({name, reg});
  return reg;
}

void FunctionCompiler::new_local(std::string_view name, SourceRange where, const Expr* value) {
  // Evaluated first: the initialiser may read an outer binding of the same name.
  if (free_ < kLocalRegisters) {
    const int reg = alloc(1, where);
    expr_to(value, reg);
    release_to(reg + 1);
    locals_.push_back({name, reg});
    return;
  }
  const int slot = free_spill_++;
  store_to(OpCode::SETSPILL, slot, value, where);
  locals_.push_back({name, -1, slot});
}

void FunctionCompiler::store_to(OpCode set, int slot, const Expr* value, SourceRange where) {
  const int temps = free_;
  const int r = expr_reg(value);
  at(where);
  fb_.emit(set, r, slot);
  release_to(temps);
}

void FunctionCompiler::close_scope(size_t mark) {
  int lowest = free_;
  while (locals_.size() > mark) {
    const Local& l = locals_.back();
    if (l.reg >= 0)
      lowest = std::min(lowest, l.reg);
    else
      free_spill_ = std::min(free_spill_, l.spill);
    locals_.pop_back();
  }
  release_to(lowest);
}

void FunctionCompiler::at(SourceRange r) {
  const SyntaxTree& t = current_tree_ ? *current_tree_ : tree_;
  const LineColumn lc = t.source().position(r.begin);
  fb_.at(lc.line, lc.column);
}

void FunctionCompiler::fail(SourceRange r, std::string message) {
  program_.sink().report(DiagCode::E0701, r, std::move(message));
  throw CompileAbort{};
}

// ------------------------------------------------------------------------------------------------
// Functions and the script

void FunctionCompiler::compile_function(const FnDecl* fn) {
  fn_ = fn;
  at_top_level_ = false;
  for (const Param& p : fn->params) declare_local(p.name, p.name_range);
  // A function whose value escapes is checked on entry (the checker cannot see its callers);
  // direct calls were checked at the call by the checker or by checks at the arguments.
  for (const RuntimeCheck* rc : program_.entry_checks(fn))
    emit_check(*rc, static_cast<int>(rc->param),
               [](uint32_t param) { return static_cast<int>(param); });
  // Size variables the body reads as ints: `N` of `x: float16[N, D]` is x.shape[0].
  const sema::FunctionInfo* info = program_.function_info(fn);
  if (info && !info->size_variables.empty()) {
    const sema::Analysis& analysis = *program_.checks_of(*tree_file())->analysis;
    std::unordered_set<sema::SymbolId> read;
    walk(fn->body, [&](const Node* n) {
      if (const auto* id = dyn_cast<Ident>(n)) read.insert(analysis.expr_symbol[id->id]);
      return true;
    });
    for (const sema::SizeVariable& v : info->size_variables) {
      if (!read.count(v.symbol)) continue;
      const int reg = declare_local(v.name, fn->name_range);
      const int index = alloc(1, fn->name_range);
      at(fn->name_range);
      fb_.emit(OpCode::GETMEMBER, reg, static_cast<int>(v.param),
               program_.builder().constant("shape"));
      int_to(index, v.dim);
      fb_.emit(OpCode::GETINDEX, reg, reg, index);
      release_to(index);
    }
  }
  const Block* body = fn->body;
  const size_t mark = open_scope();
  const auto& stmts = body->stmts;
  for (uint32_t k = 0; k < stmts.size(); ++k) {
    const Stmt* s = stmts[k];
    // The value of a body's last expression statement is its result when no return runs.
    if (k + 1 == stmts.size()) {
      if (const auto* es = dyn_cast<ExprStmt>(s)) {
        at(es->range);
        const int r = expr_reg(es->expr);
        emit_return(r, true);
        continue;
      }
    }
    stmt(s);
  }
  close_scope(mark);
  // A body that ends in `return` (or in an expression, returned above) never reaches its end:
  // no unreachable RETURN after it. Nothing can jump there: no label is bound after the last
  // statement.
  if (!stmts.empty() && (isa<Return>(stmts.back()) || isa<ExprStmt>(stmts.back()))) return;
  at(SourceRange{body->range.file, body->range.end > 0 ? body->range.end - 1 : 0, body->range.end});
  emit_return(0, false);
}

void FunctionCompiler::emit_return(int reg, bool has_value) {
  fb_.emit(OpCode::RETURN, reg, has_value ? 1 : 0);
}

void FunctionCompiler::compile_script_items(const SyntaxTree& tree, bool run_statements) {
  current_tree_ = &tree;
  for (const Stmt* s : tree.module()->items) {
    if (isa<FnDecl>(s) || isa<ImportDecl>(s) || isa<MainBlock>(s)) continue;
    if (!run_statements && !isa<TensorDecl>(s)) continue;  // an import runs declarations only
    try {
      stmt(s);
    } catch (const CompileAbort&) {
      // Reported; keep compiling the remaining statements to find more errors.
    } catch (const FormatError& e) {
      program_.sink().report(DiagCode::E0701, s->range, e.what());
      return;
    }
  }
  current_tree_ = nullptr;
}

void FunctionCompiler::compile_main(const MainBlock* main) {
  at_top_level_ = false;
  try {
    block(main->body);
  } catch (const CompileAbort&) {
  } catch (const FormatError& e) {
    program_.sink().report(DiagCode::E0701, main->range, e.what());
  }
}

void FunctionCompiler::finish_script() {
  fb_.emit(OpCode::RETURN, 0, 0);
}

// ------------------------------------------------------------------------------------------------
// Statements

void FunctionCompiler::stmt(const Stmt* s) {
  const int temps = free_;
  at(s->range);
  switch (s->kind) {
    case NodeKind::Let:
      let_stmt(cast<Let>(s));
      return;  // keeps its register
    case NodeKind::Assign:
      assign(cast<Assign>(s));
      return;
    case NodeKind::ExprStmt:
      expr_reg(cast<ExprStmt>(s)->expr);
      break;
    case NodeKind::If:
      if_stmt(cast<If>(s));
      break;
    case NodeKind::While:
      while_stmt(cast<While>(s));
      break;
    case NodeKind::For:
      for_stmt(cast<For>(s));
      break;
    case NodeKind::Break:
      if (loops_.empty()) fail(s->range, "`break` outside a loop");
      fb_.jump(OpCode::JMP, 0, loops_.back().break_label);
      break;
    case NodeKind::Continue:
      if (loops_.empty()) fail(s->range, "`continue` outside a loop");
      fb_.jump(OpCode::JMP, 0, loops_.back().continue_label);
      break;
    case NodeKind::Return:
      return_stmt(cast<Return>(s));
      break;
    case NodeKind::Block:
      block(cast<Block>(s));
      break;
    case NodeKind::TensorDecl:
      tensor_decl(cast<TensorDecl>(s));
      return;
    case NodeKind::ErrorStmt:
      fail(s->range, "cannot compile a statement with syntax errors");
    default:
      fail(s->range, fmt::format("`{}` is only allowed at the top level", node_kind_name(s->kind)));
  }
  release_to(temps);
}

void FunctionCompiler::block(const Block* b) {
  const bool was_top = at_top_level_;
  at_top_level_ = false;
  const size_t mark = open_scope();
  for (const Stmt* s : b->stmts) stmt(s);
  close_scope(mark);
  at_top_level_ = was_top;
}

void FunctionCompiler::let_stmt(const Let* s) {
  bind_name(s->name, s->name_range, s->init, /*declare=*/true);
}

// Evaluates `value` and binds it to `name`: a new local (or global slot, for the script's
// top-level names that functions use) when declaring, else the existing binding.
void FunctionCompiler::bind_name(std::string_view name, SourceRange where, const Expr* value,
                                 bool declare) {
  const auto slot = is_script_ && at_top_level_ ? program_.global_slot(name) : std::nullopt;
  const Local* existing = find_local(name);
  if (slot && (declare || !existing)) {
    // A global keeps no register (a `let` statement keeps its own).
    store_to(OpCode::SETGLOBAL, static_cast<int>(*slot), value, where);
    return;
  }
  if (!declare && existing && existing->reg < 0) {
    store_to(OpCode::SETSPILL, existing->spill, value, where);
    return;
  }
  if (!declare && existing) {
    // Direct evaluation into the variable's register is safe when the last instruction reads all
    // operands before writing (arithmetic, calls); `a && b` writes early, so it goes via a temp.
    const auto* bin = dyn_cast<Binary>(value);
    if (bin && bin->op != ast::BinaryOp::And && bin->op != ast::BinaryOp::Or) {
      expr_to(value, existing->reg);
    } else {
      const int r = expr_reg(value);
      if (r != existing->reg) fb_.emit(OpCode::MOVE, existing->reg, r);
    }
    return;
  }
  if (!declare) {
    // Not a local: an existing global (from a function or a nested block of the script) is the
    // binding in scope, so `x = e` assigns it.
    if (auto g = program_.global_slot(name)) {
      store_to(OpCode::SETGLOBAL, static_cast<int>(*g), value, where);
      return;
    }
  }
  new_local(name, where, value);
}

void FunctionCompiler::assign(const Assign* s) {
  const Expr* target = s->target;
  if (const auto* id = dyn_cast<Ident>(target)) {
    bind_name(id->name, id->range, s->value, /*declare=*/false);
    return;
  }
  const int temps = free_;
  if (const auto* m = dyn_cast<Member>(target)) {
    const int obj = expr_reg(m->object);
    const int key = alloc(1, m->name_range);
    fb_.emit(OpCode::LOADK, key, program_.builder().constant(m->name));
    const int val = expr_reg(s->value);
    at(s->range);
    fb_.emit(OpCode::SETINDEX, obj, key, val);
  } else if (const auto* ix = dyn_cast<Index>(target)) {
    index_assign(ix, s->value, s->range);
  } else {
    fail(target->range, "cannot assign to this expression");
  }
  release_to(temps);
}

// `x[items] = v`. The container is updated through a register that holds it alone when it can be:
// a local's own register; a global or a list element is first detached from its slot (the slot
// is set to none) and stored back afterwards, so a tensor there is not shared and the VM writes
// it in place (a KV cache costs O(slice) per update, not a copy of the cache).
void FunctionCompiler::index_assign(const Index* ix, const Expr* value, SourceRange where) {
  const Expr* obj = ix->object;
  while (const auto* p = dyn_cast<Paren>(obj)) obj = p->inner;
  const auto* id = dyn_cast<Ident>(obj);
  const auto* outer = dyn_cast<Index>(obj);
  int reg = -1;
  std::function<void()> store_back;
  const Local* local = id ? find_local(id->name) : nullptr;
  const auto global = id && !local ? program_.global_slot(id->name) : std::nullopt;
  if (local && local->reg >= 0) {
    reg = local->reg;
  } else if (local || global) {
    // A spilled local or a global: detached from its slot while it is updated.
    const OpCode get = local ? OpCode::GETSPILL : OpCode::GETGLOBAL;
    const OpCode set = local ? OpCode::SETSPILL : OpCode::SETGLOBAL;
    const int slot = local ? local->spill : static_cast<int>(*global);
    reg = alloc(1, obj->range);
    const int none = alloc(1, obj->range);
    at(obj->range);
    fb_.emit(get, reg, slot);
    fb_.emit(OpCode::LOADNONE, none, 0);
    fb_.emit(set, none, slot);
    store_back = [this, reg, set, slot] { fb_.emit(set, reg, slot); };
  } else if (outer && outer->items.size() == 1 && !isa<Slice>(outer->items[0])) {
    const int list = expr_reg(outer->object);
    const int key = expr_reg(outer->items[0]);
    reg = alloc(1, obj->range);
    const int none = alloc(1, obj->range);
    at(obj->range);
    fb_.emit(OpCode::GETINDEX, reg, list, key);
    fb_.emit(OpCode::LOADNONE, none, 0);
    fb_.emit(OpCode::SETINDEX, list, key, none);
    store_back = [this, list, key, reg] { fb_.emit(OpCode::SETINDEX, list, key, reg); };
  } else {
    reg = expr_reg(obj);  // a member (m.x[i] = v on a map) or any other expression
  }
  if (ix->items.size() == 1 && !isa<Slice>(ix->items[0])) {
    const int key = expr_reg(ix->items[0]);
    const int val = expr_reg(value);
    at(where);
    fb_.emit(OpCode::SETINDEX, reg, key, val);
  } else {
    // TSETSLICE: (start, stop, step) per item as TSLICE's, then the value.
    const int k = static_cast<int>(ix->items.size());
    const int b = alloc(3 * k + 1, ix->range);
    slice_items(ix, b);
    expr_to(value, b + 3 * k);
    at(where);
    fb_.emit(OpCode::TSETSLICE, reg, b, k);
  }
  if (store_back) store_back();
}

void FunctionCompiler::if_stmt(const If* s) {
  Label else_label = fb_.new_label();
  Label end = fb_.new_label();
  const uint32_t test = jump_if_false(s->cond, else_label);
  block(s->then_block);
  if (!s->else_branch && fb_.pc() == test + 3) {
    // A one-instruction body (`return n`, `x = y`, `break`): the test skips it itself, with its
    // sense inverted, and the JMP over it goes.
    fb_.remove(test + 1);
    Instr& t = fb_.at_pc(test);
    t = make_abc(get_op(t), get_a(t), get_b(t), get_c(t) ^ 1);
  }
  if (s->else_branch) fb_.jump(OpCode::JMP, 0, end);
  fb_.bind(else_label);
  if (s->else_branch) {
    if (const auto* b = dyn_cast<Block>(s->else_branch))
      block(b);
    else
      stmt(s->else_branch);
  }
  fb_.bind(end);
}

void FunctionCompiler::while_stmt(const While* s) {
  Label top = fb_.new_label();
  Label end = fb_.new_label();
  fb_.bind(top);
  jump_if_false(s->cond, end);
  loops_.push_back({end, top});
  block(s->body);
  loops_.pop_back();
  fb_.jump(OpCode::JMP, 0, top);
  fb_.bind(end);
}

void FunctionCompiler::for_stmt(const For* s) {
  const size_t mark = open_scope();
  const bool was_top = at_top_level_;
  at_top_level_ = false;
  // R[base..base+2] = start, stop, step; R[base+3] = the loop variable (FORPREP/FORLOOP).
  const int base = alloc(4, s->var_range);
  const auto* call = dyn_cast<Call>(s->iterable);
  const auto* callee = call ? dyn_cast<Ident>(call->callee) : nullptr;
  const bool is_range = callee && callee->name == "range" && !find_local("range") &&
                        !program_.find_function("range") && call->args.size() >= 1 &&
                        call->args.size() <= 3;
  int sequence = -1;
  if (is_range) {
    for (const Arg& a : call->args)
      if (a.named()) fail(a.range, "range() takes positional arguments only");
    if (call->args.size() == 1) {
      int_to(base, 0);
      expr_to(call->args[0].value, base + 1);
    } else {
      expr_to(call->args[0].value, base);
      expr_to(call->args[1].value, base + 1);
    }
    if (call->args.size() == 3)
      expr_to(call->args[2].value, base + 2);
    else
      int_to(base + 2, 1);
  } else {
    // Any other iterable: a list, a Shape, a string, or a tensor's first dimension, by index.
    sequence = alloc(1, s->iterable->range);
    expr_to(s->iterable, sequence);
    int_to(base, 0);
    const int arg = alloc(2, s->iterable->range);
    fb_.emit(OpCode::MOVE, arg + 1, sequence);
    at(s->iterable->range);
    fb_.call_builtin(arg, Builtin::Len, 1);
    fb_.emit(OpCode::MOVE, base + 1, arg);
    release_to(arg);
    int_to(base + 2, 1);
  }
  Label exit = fb_.new_label();
  Label body = fb_.new_label();
  Label next = fb_.new_label();
  at(s->iterable->range);
  fb_.jump(OpCode::FORPREP, base, exit);
  fb_.bind(body);
  int var;
  if (sequence < 0) {
    locals_.push_back({s->var, base + 3});
    var = base + 3;
  } else {
    var = declare_local(s->var, s->var_range);
    at(s->var_range);
    fb_.emit(OpCode::GETINDEX, var, sequence, base + 3);
  }
  (void)var;
  loops_.push_back({exit, next});
  block(s->body);
  loops_.pop_back();
  fb_.bind(next);
  at(s->iterable->range);
  fb_.jump(OpCode::FORLOOP, base, body);
  fb_.bind(exit);
  close_scope(mark);
  release_to(base);
  at_top_level_ = was_top;
}

void FunctionCompiler::return_stmt(const Return* s) {
  if (!fn_ && !is_script_) fail(s->range, "`return` outside a function");
  if (s->value) {
    const int r = expr_reg(s->value);
    at(s->range);
    emit_return(r, true);
  } else {
    emit_return(0, false);
  }
}

void FunctionCompiler::tensor_decl(const TensorDecl* d) {
  const int temps = free_;
  int r;
  if (d->init) {
    r = alloc(1, d->name_range);
    const Expr* init = d->init;
    if (const auto* l = dyn_cast<ListLit>(init)) {
      // `tensor w: float16[2, 2] = [[...]]`: a bare literal is a tensor literal here.
      const int args = alloc(2, l->range);
      list(l, args + 1);
      at(l->range);
      fb_.call_builtin(args, Builtin::TensorNew, 1);
      fb_.emit(OpCode::MOVE, r, args);
    } else {
      expr_to(init, r);
    }
  } else {
    // No initialiser: zeros of the declared (constant) shape.
    const auto* tt = dyn_cast<TensorType>(d->type);
    if (!tt) fail(d->type->range, "a tensor declaration needs a tensor type such as float16[2, 3]");
    const int args = alloc(1 + static_cast<int>(tt->dims.size()), d->type->range);
    int k = 1;
    for (const Dim& dim : tt->dims) {
      if (dim.kind != Dim::Kind::Int)
        fail(dim.range, "a tensor declared without a value needs constant dimensions");
      int_to(args + k++, dim.value);
    }
    at(d->range);
    fb_.call_builtin(args, Builtin::Zeros, static_cast<int>(tt->dims.size()));
    r = args;
  }
  if (d->init && isa<ListLit>(d->init)) value_checks(d->init, r);
  const auto slot = is_script_ && at_top_level_ ? program_.global_slot(d->name) : std::nullopt;
  if (slot) {
    fb_.emit(OpCode::SETGLOBAL, r, static_cast<int>(*slot));
    release_to(temps);
  } else if (temps >= kLocalRegisters) {
    const int spill = free_spill_++;
    fb_.emit(OpCode::SETSPILL, r, spill);
    release_to(temps);
    locals_.push_back({d->name, -1, spill});
  } else {
    const int reg = temps;
    if (r != reg) fb_.emit(OpCode::MOVE, reg, r);
    release_to(reg + 1);
    locals_.push_back({d->name, reg});
  }
}

// The checker's run-time checks: CHECKSHAPE for the rank and constant dims, then one comparison
// per dim that must equal another value's (a size variable bound where the checker could not
// see it).
void FunctionCompiler::value_checks(const Expr* e, int reg) {
  if (deferred_args_ &&
      std::find(deferred_args_->begin(), deferred_args_->end(), e) != deferred_args_->end())
    return;
  emit_value_checks(e, reg);
}

void FunctionCompiler::emit_value_checks(const Expr* e, int reg) {
  const SyntaxTree& t = current_tree_ ? *current_tree_ : tree_;
  const FileChecks* fc = program_.checks_of(t);
  if (!fc) return;
  if (fc->same_as_targets.count(e->id)) checked_regs_[e->id] = reg;
  auto it = fc->by_expr.find(e->id);
  if (it == fc->by_expr.end()) return;
  for (const RuntimeCheck* rc : it->second)
    emit_check(*rc, reg, [&](uint32_t expr_id) {
      auto r = checked_regs_.find(expr_id);
      if (r == checked_regs_.end())
        fail(rc->range, "internal compiler error: a shape check reads a value not evaluated yet");
      return r->second;
    });
}

void FunctionCompiler::emit_check(const RuntimeCheck& rc, int reg,
                                  const std::function<int(uint32_t)>& reg_of) {
  program_.emitted(&rc);
  ShapeConst shape;
  bool has_const = false;
  for (const ExpectedDim& d : rc.dims) {
    has_const |= d.kind == ExpectedDim::Kind::Const;
    shape.dims.push_back(d.kind == ExpectedDim::Kind::Const ? d.value : -1);
  }
  if (has_const || rc.rank_unknown) {
    at(rc.range);
    fb_.emit(OpCode::CHECKSHAPE, reg, static_cast<int>(program_.builder().constant(shape)));
  }
  for (uint32_t j = 0; j < rc.dims.size(); ++j) {
    const ExpectedDim& d = rc.dims[j];
    if (d.kind == ExpectedDim::Kind::SameAs)
      emit_dim_equal(reg_of(d.expr_id), d.dim, reg, j, d.message, rc.range);
    else if (d.kind == ExpectedDim::Kind::SameAsParam)
      emit_dim_equal(static_cast<int>(d.param), d.dim, reg, j, d.message, rc.range);
  }
}

// assert(shape(a)[da] == shape(b)[db], message), reported at `where`.
void FunctionCompiler::emit_dim_equal(int a, uint32_t da, int b, uint32_t db,
                                      const std::string& message, SourceRange where) {
  const int base = alloc(3, where);
  at(where);
  const int lhs = alloc(2, where);
  fb_.emit(OpCode::GETMEMBER, lhs, a, program_.builder().constant("shape"));
  int_to(lhs + 1, da);
  fb_.emit(OpCode::GETINDEX, lhs, lhs, lhs + 1);
  const int rhs = alloc(2, where);
  fb_.emit(OpCode::GETMEMBER, rhs, b, program_.builder().constant("shape"));
  int_to(rhs + 1, db);
  fb_.emit(OpCode::GETINDEX, rhs, rhs, rhs + 1);
  fb_.emit(OpCode::EQ, base + 1, lhs, rhs);
  fb_.emit(OpCode::LOADK, base + 2, program_.builder().constant(message));
  fb_.call_builtin(base, Builtin::Assert, 2);
  release_to(base);
}

// ------------------------------------------------------------------------------------------------
// Expressions

int FunctionCompiler::expr_reg(const Expr* e) {
  const Expr* outer = e;
  while (const auto* p = dyn_cast<Paren>(e)) e = p->inner;
  if (const auto* id = dyn_cast<Ident>(e))
    if (const Local* l = find_local(id->name); l && l->reg >= 0) {
      value_checks(outer, l->reg);
      return l->reg;
    }
  const int r = alloc(1, e->range);
  expr_to(outer, r);
  return r;
}

void FunctionCompiler::int_to(int dst, int64_t v) {
  if (v >= -kOffsetSBx && v <= kOffsetSBx + 1)
    fb_.emit(OpCode::LOADI, dst, static_cast<int>(v));
  else
    fb_.emit(OpCode::LOADK, dst, static_cast<int>(program_.builder().constant(v)));
}

void FunctionCompiler::expr_to(const Expr* e, int dst) {
  const int temps = free_;
  switch (e->kind) {
    case NodeKind::IntLit: {
      const auto* lit = cast<IntLit>(e);
      if (lit->value > static_cast<uint64_t>(INT64_MAX))
        fail(e->range, "integer literal too large");
      at(e->range);
      int_to(dst, static_cast<int64_t>(lit->value));
      break;
    }
    case NodeKind::FloatLit:
      at(e->range);
      fb_.emit(OpCode::LOADK, dst,
               static_cast<int>(program_.builder().constant(cast<FloatLit>(e)->value)));
      break;
    case NodeKind::StringLit:
      at(e->range);
      fb_.emit(OpCode::LOADK, dst,
               static_cast<int>(program_.builder().constant(cast<StringLit>(e)->value)));
      break;
    case NodeKind::BoolLit:
      at(e->range);
      fb_.emit(OpCode::LOADBOOL, dst, cast<BoolLit>(e)->value ? 1 : 0, 0);
      break;
    case NodeKind::Ident: {
      const auto* id = cast<Ident>(e);
      at(e->range);
      if (const Local* l = find_local(id->name)) {
        if (l->reg < 0)
          fb_.emit(OpCode::GETSPILL, dst, l->spill);
        else if (l->reg != dst)
          fb_.emit(OpCode::MOVE, dst, l->reg);
      } else if (auto g = program_.global_slot(id->name)) {
        fb_.emit(OpCode::GETGLOBAL, dst, static_cast<int>(*g));
      } else if (const FunctionEntry* f = program_.find_function(id->name)) {
        fb_.emit(OpCode::LOADFN, dst, static_cast<int>(f->index));
      } else if (id->name == "none") {
        fb_.emit(OpCode::LOADNONE, dst, 0);
      } else if (id->name == "inf" || id->name == "nan") {
        const double v = id->name == "inf" ? std::numeric_limits<double>::infinity()
                                           : std::numeric_limits<double>::quiet_NaN();
        fb_.emit(OpCode::LOADK, dst, static_cast<int>(program_.builder().constant(v)));
      } else if (builtin_by_name(id->name)) {
        fail(e->range,
             fmt::format("builtin `{}` can only be called, not used as a value", id->name));
      } else {
        fail(e->range, fmt::format("undefined name `{}`", id->name));
      }
      break;
    }
    case NodeKind::Unary: {
      if (fuse(e, dst)) break;
      const auto* u = cast<Unary>(e);
      const int r = expr_reg(u->operand);
      at(e->range);
      fb_.emit(u->op == ast::UnaryOp::Neg ? OpCode::UNM : OpCode::NOT, dst, r);
      break;
    }
    case NodeKind::Binary:
      if (fuse(e, dst)) break;
      binary(cast<Binary>(e), dst);
      break;
    case NodeKind::Call:
      if (fuse(e, dst)) break;
      call(cast<Call>(e), dst);
      break;
    case NodeKind::Member:
      member(cast<Member>(e), dst);
      break;
    case NodeKind::Index:
      index(cast<Index>(e), dst);
      break;
    case NodeKind::ListLit:
      if (const sema::Analysis* a = program_.analysis_of(current_tree_ ? *current_tree_ : tree_);
          a && a->type_of(e).is_tensor()) {
        // A numeric list meeting a tensor operand (the checker's list_as_tensor).
        const int args = alloc(2, e->range);
        list(cast<ListLit>(e), args + 1);
        at(e->range);
        fb_.call_builtin(args, Builtin::TensorNew, 1);
        if (args != dst) fb_.emit(OpCode::MOVE, dst, args);
        break;
      }
      list(cast<ListLit>(e), dst);
      break;
    case NodeKind::MapLit:
      map(cast<MapLit>(e), dst);
      break;
    case NodeKind::TensorCtor: {
      const auto* t = cast<TensorCtor>(e);
      if (t->element != "float16" && t->element != "float32" && t->element != "float64" &&
          t->element != "bfloat16")
        fail(t->element_range,
             fmt::format("tensor<{}>: TL tensors are floating point (float16)", t->element));
      call_builtin(Builtin::TensorNew, nullptr, t->args, e->range, dst);
      break;
    }
    case NodeKind::Paren:
      expr_to(cast<Paren>(e)->inner, dst);
      break;
    case NodeKind::Slice:
      fail(e->range, "a slice `a:b` is only allowed inside `[...]`");
    default:
      fail(e->range, "cannot compile an expression with syntax errors");
  }
  release_to(temps);
  value_checks(e, dst);
}

void FunctionCompiler::binary(const Binary* b, int dst) {
  if (b->op == ast::BinaryOp::And || b->op == ast::BinaryOp::Or) return logical(b, dst);
  if (binary_constant(b, dst)) return;
  int lhs = expr_reg(b->lhs);
  int rhs = expr_reg(b->rhs);
  OpCode op;
  switch (b->op) {
    case ast::BinaryOp::Add:
      op = OpCode::ADD;
      break;
    case ast::BinaryOp::Sub:
      op = OpCode::SUB;
      break;
    case ast::BinaryOp::Mul:
      op = OpCode::MUL;
      break;
    case ast::BinaryOp::Div:
      op = OpCode::DIV;
      break;
    case ast::BinaryOp::Mod:
      op = OpCode::MOD;
      break;
    case ast::BinaryOp::Pow:
      op = OpCode::POW;
      break;
    case ast::BinaryOp::MatMul:
      op = OpCode::MATMUL;
      break;
    case ast::BinaryOp::Eq:
      op = OpCode::EQ;
      break;
    case ast::BinaryOp::Ne:
      op = OpCode::NE;
      break;
    case ast::BinaryOp::Lt:
      op = OpCode::LT;
      break;
    case ast::BinaryOp::Le:
      op = OpCode::LE;
      break;
    case ast::BinaryOp::Gt:
      op = OpCode::LT;
      std::swap(lhs, rhs);
      break;
    case ast::BinaryOp::Ge:
      op = OpCode::LE;
      std::swap(lhs, rhs);
      break;
    default:
      fail(b->op_range, "unknown operator");
  }
  at(b->op_range);
  fb_.emit(op, dst, lhs, rhs);
}

// ------------------------------------------------------------------------------------------------
// Fused element-wise chains: a tree of element-wise operators and builtins whose result the
// checker proved to be a tensor of statically known, broadcast-compatible shapes becomes one
// ELEMWISE instruction (a program constant, vm/tensor/elementwise.h) over its leaves, evaluated
// in f32 with one rounding. Leaves are any other tensor expression or a number. Anything the
// checker did not prove, and single ops, compile as before.

namespace {

// Every dim constant or a size variable: known statically (an '?' is not).
bool proven_tensor(const sema::Type& t) {
  if (!t.is_tensor() || !t.rank_known) return false;
  for (const sema::Dim& d : t.dims)
    if (d.is_unknown()) return false;
  return true;
}

// a and b broadcast without a run-time check: aligned from the right, each pair of dims is the
// same (equal constants or the same size variable) or one of them is the constant 1.
bool proven_broadcast(const sema::Type& a, const sema::Type& b) {
  for (size_t i = 1; i <= std::min(a.rank(), b.rank()); ++i) {
    const sema::Dim &x = a.dims[a.rank() - i], &y = b.dims[b.rank() - i];
    const bool one = (x.is_const() && x.value == 1) || (y.is_const() && y.value == 1);
    if (!one && !x.same(y)) return false;
  }
  return true;
}

// The builtins and operators a fused chain may contain (besides unary minus).
constexpr std::pair<Builtin, tl::UnaryOp> kFusableUnary[] = {
    {Builtin::Relu, tl::UnaryOp::Relu}, {Builtin::Gelu, tl::UnaryOp::Gelu},
    {Builtin::Silu, tl::UnaryOp::Silu}, {Builtin::Sigmoid, tl::UnaryOp::Sigmoid},
    {Builtin::Tanh, tl::UnaryOp::Tanh}, {Builtin::Exp, tl::UnaryOp::Exp},
    {Builtin::Log, tl::UnaryOp::Log},   {Builtin::Sqrt, tl::UnaryOp::Sqrt},
    {Builtin::Abs, tl::UnaryOp::Abs}};
constexpr std::pair<Builtin, tl::BinaryOp> kFusableBinaryBuiltins[] = {
    {Builtin::Maximum, tl::BinaryOp::Maximum},
    {Builtin::Minimum, tl::BinaryOp::Minimum},
    {Builtin::FloorDiv, tl::BinaryOp::FloorDiv}};
constexpr std::pair<ast::BinaryOp, tl::BinaryOp> kFusableOperators[] = {
    {ast::BinaryOp::Add, tl::BinaryOp::Add}, {ast::BinaryOp::Sub, tl::BinaryOp::Sub},
    {ast::BinaryOp::Mul, tl::BinaryOp::Mul}, {ast::BinaryOp::Div, tl::BinaryOp::Div},
    {ast::BinaryOp::Mod, tl::BinaryOp::Mod}, {ast::BinaryOp::Pow, tl::BinaryOp::Pow}};

template <class K, class V, size_t N>
std::optional<V> lookup(const std::pair<K, V> (&table)[N], K key) {
  for (const auto& [k, v] : table)
    if (k == key) return v;
  return std::nullopt;
}

const Expr* strip_parens(const Expr* e) {
  while (const auto* p = dyn_cast<Paren>(e)) e = p->inner;
  return e;
}

}  // namespace

// One element-wise operator or builtin call: its op and operand expressions.
struct FunctionCompiler::ElementwiseNode {
  ElementwiseProgram::StepKind kind;
  uint8_t op;
  const Expr* operands[2];
};

struct FunctionCompiler::Fusion {
  const sema::Analysis& types;
  const FileChecks* checks;    // the checker's run-time checks on this file's expressions
  ElementwiseProgram program;  // steps' operands are provisional: see fuse_tree
  std::vector<const Expr*> leaves;
  std::vector<std::string_view> leaf_local;  // a local variable's name (shared input), or ""
};

std::optional<FunctionCompiler::ElementwiseNode> FunctionCompiler::elementwise_node(
    const Expr* e) const {
  using K = ElementwiseProgram::StepKind;
  if (const auto* b = dyn_cast<Binary>(e)) {
    if (auto op = lookup(kFusableOperators, b->op))
      return ElementwiseNode{K::Binary, static_cast<uint8_t>(*op), {b->lhs, b->rhs}};
    return std::nullopt;
  }
  if (const auto* u = dyn_cast<Unary>(e)) {
    if (u->op != ast::UnaryOp::Neg) return std::nullopt;
    return ElementwiseNode{K::Unary, static_cast<uint8_t>(tl::UnaryOp::Neg), {u->operand, nullptr}};
  }
  const auto* c = dyn_cast<Call>(e);
  if (!c) return std::nullopt;
  // The builtin called, as call() resolves it: a plain name that no variable or function
  // shadows, or a method `x.f(...)`; positional arguments only.
  std::vector<const Expr*> args;
  std::optional<Builtin> id;
  if (const auto* name = dyn_cast<Ident>(c->callee)) {
    if (find_local(name->name) || program_.global_slot(name->name) ||
        program_.find_function(name->name))
      return std::nullopt;
    id = builtin_by_name(name->name);
  } else if (const auto* m = dyn_cast<Member>(c->callee)) {
    id = builtin_by_name(m->name);
    args.push_back(m->object);
  }
  if (!id) return std::nullopt;
  for (const Arg& a : c->args) {
    if (a.named()) return std::nullopt;
    args.push_back(a.value);
  }
  if (auto u = lookup(kFusableUnary, *id); u && args.size() == 1)
    return ElementwiseNode{K::Unary, static_cast<uint8_t>(*u), {args[0], nullptr}};
  if (auto b = lookup(kFusableBinaryBuiltins, *id); b && args.size() == 2)
    return ElementwiseNode{K::Binary, static_cast<uint8_t>(*b), {args[0], args[1]}};
  return std::nullopt;
}

// Adds `e` to the fusion: a step for an element-wise node with a proven tensor result, else a
// leaf (a proven tensor or a number). Returns the provisional operand: leaves are numbered
// 0.., steps kStepBase + index. nullopt: `e` cannot take part (the caller compiles it as before).
constexpr uint16_t kStepBase = 0x8000;

std::optional<uint16_t> FunctionCompiler::fuse_tree(const Expr* e, Fusion& f, bool root) {
  // A value with a run-time check on it (or that a check reads) must exist in a register: below
  // the root it is a leaf, compiled by expr_to, which emits the checks (the root's come after
  // the fused instruction, from the expr_to that called fuse).
  bool checked = false;
  for (const Expr* p = e; !root; p = cast<Paren>(p)->inner) {
    checked |=
        f.checks && (f.checks->by_expr.count(p->id) || f.checks->same_as_targets.count(p->id));
    if (!isa<Paren>(p)) break;
  }
  e = strip_parens(e);
  const sema::Type& type = f.types.type_of(e);
  if (auto node = proven_tensor(type) && !checked ? elementwise_node(e) : std::nullopt) {
    const bool binary = node->kind == ElementwiseProgram::StepKind::Binary;
    uint16_t ops[2] = {0, 0};
    for (int k = 0; k < (binary ? 2 : 1); ++k) {
      auto r = fuse_tree(node->operands[k], f, false);
      if (!r) return std::nullopt;
      ops[k] = *r;
    }
    if (binary) {
      const sema::Type &ta = f.types.type_of(strip_parens(node->operands[0])),
                       &tb = f.types.type_of(strip_parens(node->operands[1]));
      if (ta.is_tensor() && tb.is_tensor() && !proven_broadcast(ta, tb)) return std::nullopt;
      if (!ta.is_tensor() && !tb.is_tensor()) return std::nullopt;
    } else if (!f.types.type_of(strip_parens(node->operands[0])).is_tensor()) {
      return std::nullopt;
    }
    if (f.program.steps.size() >= kMaxElementwiseSteps) return std::nullopt;
    f.program.steps.push_back({node->kind, node->op, ops[0], ops[1]});
    return static_cast<uint16_t>(kStepBase + f.program.steps.size() - 1);
  }
  const bool tensor = proven_tensor(type);
  if (!tensor && !type.is(sema::TypeKind::Int) && !type.is(sema::TypeKind::Float))
    return std::nullopt;
  // A local read twice (x * sigmoid(x)) is one input (unless a check is attached to a read).
  std::string_view local;
  if (const auto* id = dyn_cast<Ident>(e))
    if (find_local(id->name) && !checked) local = id->name;
  for (size_t k = 0; !local.empty() && k < f.leaves.size(); ++k)
    if (f.leaf_local[k] == local) return static_cast<uint16_t>(k);
  if (f.leaves.size() >= kMaxElementwiseInputs) return std::nullopt;
  f.leaves.push_back(e);
  f.leaf_local.push_back(local);
  f.program.inputs.push_back(tensor ? ElementwiseProgram::InputKind::Tensor
                                    : ElementwiseProgram::InputKind::Scalar);
  return static_cast<uint16_t>(f.leaves.size() - 1);
}

bool FunctionCompiler::fuse(const Expr* e, int dst) {
  const sema::Analysis* types = program_.analysis_of(current_tree_ ? *current_tree_ : tree_);
  if (!types || e->id >= types->expr_types.size()) return false;
  Fusion f{*types, program_.checks_of(current_tree_ ? *current_tree_ : tree_), {}, {}, {}};
  if (!fuse_tree(e, f, true) || f.program.steps.size() < 2) return false;  // one op: as before
  const auto ni = static_cast<uint16_t>(f.leaves.size());
  for (auto& s : f.program.steps) {
    if (s.a >= kStepBase) s.a = static_cast<uint16_t>(s.a - kStepBase + ni);
    if (s.kind == ElementwiseProgram::StepKind::Binary && s.b >= kStepBase)
      s.b = static_cast<uint16_t>(s.b - kStepBase + ni);
  }
  if (!validate(f.program).empty()) return false;
  const uint32_t k = program_.builder().constant(f.program);
  if (k > static_cast<uint32_t>(kMaxBx)) return false;
  const int base = alloc(1 + ni, e->range);
  for (uint16_t i = 0; i < ni; ++i) expr_to(f.leaves[i], base + 1 + i);
  const auto* b = dyn_cast<Binary>(strip_parens(e));
  at(b ? b->op_range : e->range);
  fb_.emit(OpCode::ELEMWISE, base, static_cast<int>(k));
  if (base != dst) fb_.emit(OpCode::MOVE, dst, base);
  return true;
}

// A numeric literal on the right of + - * / % ** uses the constant forms (ADDI, ADDK, ...), as
// Lua's lcode.c does; they fall back to tensor ops like the register forms.
bool FunctionCompiler::binary_constant(const Binary* b, int dst) {
  const Expr* rhs = b->rhs;
  while (const auto* p = dyn_cast<Paren>(rhs)) rhs = p->inner;
  const auto* ilit = dyn_cast<IntLit>(rhs);
  const auto* flit = dyn_cast<FloatLit>(rhs);
  if (!ilit && !flit) return false;
  if (ilit && ilit->value > static_cast<uint64_t>(INT64_MAX)) return false;
  const bool add = b->op == ast::BinaryOp::Add, sub = b->op == ast::BinaryOp::Sub;
  if (ilit && (add || sub) && ilit->value <= 127) {
    const int imm = sub ? -static_cast<int>(ilit->value) : static_cast<int>(ilit->value);
    const int lhs = expr_reg(b->lhs);
    at(b->op_range);
    fb_.emit(OpCode::ADDI, dst, lhs, imm + kOffsetSC);
    return true;
  }
  OpCode op;
  switch (b->op) {
    case ast::BinaryOp::Add:
      op = OpCode::ADDK;
      break;
    case ast::BinaryOp::Sub:
      op = OpCode::SUBK;
      break;
    case ast::BinaryOp::Mul:
      op = OpCode::MULK;
      break;
    case ast::BinaryOp::Div:
      op = OpCode::DIVK;
      break;
    case ast::BinaryOp::Mod:
      op = OpCode::MODK;
      break;
    case ast::BinaryOp::Pow:
      op = OpCode::POWK;
      break;
    default:
      return false;
  }
  const uint32_t k = ilit ? program_.builder().constant(static_cast<int64_t>(ilit->value))
                          : program_.builder().constant(flit->value);
  if (k > static_cast<uint32_t>(kMaxC)) return false;
  const int lhs = expr_reg(b->lhs);
  at(b->op_range);
  fb_.emit(op, dst, lhs, static_cast<int>(k));
  return true;
}

// Jumps to `target` when `cond` is falsy. Comparisons become one compare-and-skip instruction
// (CLT, CLEI, ...) before the jump instead of a bool in a register and a TEST.
uint32_t FunctionCompiler::jump_if_false(const Expr* cond, Label target) {
  while (const auto* p = dyn_cast<Paren>(cond)) cond = p->inner;
  const int temps = free_;
  const auto* b = dyn_cast<Binary>(cond);
  using B = ast::BinaryOp;
  if (b && (b->op == B::Lt || b->op == B::Le || b->op == B::Gt || b->op == B::Ge ||
            b->op == B::Eq || b->op == B::Ne)) {
    // Each compare skips the jump when its relation holds == (C != 0) fails to differ: with
    // C = 0 a true relation skips the jump (runs the body); Ne is Eq with C = 1.
    const auto* lit = dyn_cast<IntLit>(b->rhs);
    const bool imm = lit && lit->value <= 128;
    const int lhs = expr_reg(b->lhs);
    OpCode op;
    int second;
    int c = 0;
    if (imm) {
      second = static_cast<int>(lit->value) + kOffsetSC;
      switch (b->op) {
        case B::Lt:
          op = OpCode::CLTI;
          break;
        case B::Le:
          op = OpCode::CLEI;
          break;
        case B::Gt:
          op = OpCode::CGTI;
          break;
        case B::Ge:
          op = OpCode::CGEI;
          break;
        case B::Eq:
          op = OpCode::CEQI;
          break;
        default:
          op = OpCode::CEQI;
          c = 1;
          break;
      }
      at(b->op_range);
      fb_.emit(op, lhs, second, c);
    } else {
      int rhs = expr_reg(b->rhs);
      int a = lhs;
      switch (b->op) {
        case B::Lt:
          op = OpCode::CLT;
          break;
        case B::Le:
          op = OpCode::CLE;
          break;
        case B::Gt:
          op = OpCode::CLT;
          std::swap(a, rhs);
          break;
        case B::Ge:
          op = OpCode::CLE;
          std::swap(a, rhs);
          break;
        case B::Eq:
          op = OpCode::CEQ;
          break;
        default:
          op = OpCode::CEQ;
          c = 1;
          break;
      }
      at(b->op_range);
      fb_.emit(op, a, rhs, c);
    }
  } else {
    const int r = expr_reg(cond);
    at(cond->range);
    fb_.emit(OpCode::TEST, r, 0, 0);
  }
  release_to(temps);
  return fb_.jump(OpCode::JMP, 0, target) - 1;
}

// `a && b` / `a || b`: the value of the operand that decided, as in Python.
void FunctionCompiler::logical(const Binary* b, int dst) {
  Label end = fb_.new_label();
  expr_to(b->lhs, dst);
  at(b->op_range);
  // &&: a truthy left goes on to the right (skip the jump); ||: a falsy left does.
  fb_.emit(OpCode::TEST, dst, 0, b->op == ast::BinaryOp::And ? 0 : 1);
  fb_.jump(OpCode::JMP, 0, end);
  expr_to(b->rhs, dst);
  fb_.bind(end);
}

// The register a call's result lands in, with its `nargs` argument registers above it. When
// `dst` is the topmost register in use, the call is placed at dst itself so that no MOVE follows
// it: CALL writes R[A] only when the callee returns, after the arguments were read.
int FunctionCompiler::call_base(int dst, int nargs, SourceRange where) {
  if (dst + 1 == free_) {
    alloc(nargs, where);
    return dst;
  }
  return alloc(1 + nargs, where);
}

void FunctionCompiler::call(const Call* c, int dst) {
  if (const auto* id = dyn_cast<Ident>(c->callee)) {
    if (find_local(id->name) || program_.global_slot(id->name)) {
      // A function value in a variable.
      const int base = call_base(dst, static_cast<int>(c->args.size()), c->range);
      expr_to(id, base);
      int k = 1;
      for (const Arg& a : c->args) {
        if (a.named()) fail(a.range, "named arguments need a function known at compile time");
        expr_to(a.value, base + k++);
      }
      at(c->range);
      fb_.emit(OpCode::CALLR, base, static_cast<int>(c->args.size()));
      if (base != dst) fb_.emit(OpCode::MOVE, dst, base);
      return;
    }
    if (const FunctionEntry* f = program_.find_function(id->name)) return call_user(*f, c, dst);
    if (auto b = builtin_by_name(id->name))
      return call_builtin(*b, nullptr, c->args, c->range, dst);
    fail(id->range, fmt::format("undefined function `{}`", id->name));
  }
  if (const auto* m = dyn_cast<Member>(c->callee)) {
    // x.f(args) is f(x, args) for a builtin whose first parameter takes x.
    if (auto b = builtin_by_name(m->name)) {
      // `torch.softmax(x)`: a module prefix the checker ignored (W0304) passes no receiver.
      const auto* module = dyn_cast<Ident>(m->object);
      const bool prefix = module && sema::is_module_prefix(module->name) &&
                          !find_local(module->name) && !program_.global_slot(module->name) &&
                          !program_.find_function(module->name);
      return call_builtin(*b, prefix ? nullptr : m->object, c->args, c->range, dst);
    }
    fail(m->name_range, fmt::format("no method `{}`: methods are the builtins (`x.{}(...)` means "
                                    "`{}(x, ...)`)",
                                    m->name, m->name, m->name));
  }
  fail(c->callee->range, "only named functions and methods can be called");
}

void FunctionCompiler::call_user(const FunctionEntry& f, const Call* c, int dst) {
  const auto& params = f.decl->params;
  const int n = static_cast<int>(params.size());
  std::vector<const Expr*> slots(n, nullptr);
  int positional = 0;
  for (const Arg& a : c->args) {
    if (!a.named()) {
      if (positional >= n)
        fail(a.range,
             fmt::format("`{}` takes {} argument{}, got more", f.decl->name, n, n == 1 ? "" : "s"));
      slots[positional++] = a.value;
      continue;
    }
    int k = 0;
    while (k < n && params[k].name != a.name) ++k;
    if (k == n) fail(a.name_range, fmt::format("`{}` has no parameter `{}`", f.decl->name, a.name));
    if (slots[k]) fail(a.name_range, fmt::format("parameter `{}` given twice", a.name));
    slots[k] = a.value;
  }
  for (int k = 0; k < n; ++k)
    if (!slots[k] && !params[k].default_value)
      fail(c->range,
           fmt::format("missing argument `{}` in call to `{}`", params[k].name, f.decl->name));
  const int base = call_base(dst, n, c->range);
  for (int k = 0; k < n; ++k)
    if (!slots[k]) emit_literal(params[k].default_value, base + 1 + k, c->range);
  // Arguments run in source order (as written, named ones included); their shape checks run
  // after all of them, in parameter order, as the checker recorded them. An argument that fails
  // to compile throws CompileAbort, and compilation goes on with the next statement: the guard
  // restores deferred_args_ then too, so that it never points at this frame's dead `slots`.
  {
    struct Restore {
      const std::vector<const Expr*>*& ref;
      const std::vector<const Expr*>* saved;
      ~Restore() { ref = saved; }
    } restore{deferred_args_, std::exchange(deferred_args_, &slots)};
    int positional_k = 0;
    for (const Arg& a : c->args) {
      int k = positional_k;
      if (a.named()) {
        k = 0;
        while (params[k].name != a.name) ++k;
      } else {
        ++positional_k;
      }
      expr_to(a.value, base + 1 + k);
    }
  }
  for (int k = 0; k < n; ++k)
    if (slots[k]) emit_value_checks(slots[k], base + 1 + k);
  at(c->range);
  fb_.emit(OpCode::CALL, base, static_cast<int>(f.index));
  if (base != dst) fb_.emit(OpCode::MOVE, dst, base);
}

// A default parameter value (a literal the checker accepted), evaluated by the caller.
void FunctionCompiler::emit_literal(const Expr* e, int dst, SourceRange where) {
  if (const auto* s = dyn_cast<StringLit>(e)) {
    at(where);
    fb_.emit(OpCode::LOADK, dst, static_cast<int>(program_.builder().constant(s->value)));
    return;
  }
  std::string text;
  if (const auto* u = dyn_cast<Unary>(e)) {
    text = "-";
    e = u->operand;
  }
  if (const auto* i = dyn_cast<IntLit>(e))
    text += i->text;
  else if (const auto* f = dyn_cast<FloatLit>(e))
    text += f->text;
  else if (const auto* b = dyn_cast<BoolLit>(e))
    text = b->value ? "true" : "false";
  else
    text = "none";
  emit_default(dst, text, where);
}

void FunctionCompiler::emit_default(int dst, std::string_view lit, SourceRange where) {
  at(where);
  if (lit == "none") {
    fb_.emit(OpCode::LOADNONE, dst, 0);
  } else if (lit == "true" || lit == "false") {
    fb_.emit(OpCode::LOADBOOL, dst, lit == "true" ? 1 : 0, 0);
  } else if (lit.front() == '"') {
    fb_.emit(OpCode::LOADK, dst,
             static_cast<int>(program_.builder().constant(decode_default_string(lit))));
  } else if (lit.find_first_of(".eE") != std::string_view::npos) {
    fb_.emit(OpCode::LOADK, dst,
             static_cast<int>(program_.builder().constant(std::stod(std::string(lit)))));
  } else {
    int64_t v = 0;
    std::from_chars(lit.data(), lit.data() + lit.size(), v);
    int_to(dst, v);
  }
}

// Maps positional and named arguments onto the builtin's signature (builtins.def), fills the
// defaults, and emits CALLB (or a dedicated opcode for the hot tensor builtins).
void FunctionCompiler::call_builtin(Builtin id, const Expr* receiver, NodeList<Arg> args,
                                    SourceRange where, int dst) {
  const sema::BuiltinSignature& sig = sema::builtin_signature(id);
  const std::string_view name = builtin_info(id).name;
  const size_t n = sig.params.size();
  // Each parameter gets a list of argument expressions (several for the variadic one).
  std::vector<std::vector<const Expr*>> given(n);
  std::vector<bool> named_given(n, false);
  size_t next = 0;
  auto take_positional = [&](const Expr* value, SourceRange r) {
    while (next < n && named_given[next]) ++next;
    if (next >= n)
      fail(r, fmt::format("too many arguments to `{}`{}", name, builtin_info(id).signature));
    given[next].push_back(value);
    if (!sig.params[next].variadic) ++next;
  };
  if (receiver) take_positional(receiver, receiver->range);
  size_t positional_seen = receiver ? 1 : 0;
  for (const Arg& a : args) {
    if (!a.named()) {
      // layer_norm(x, [D], ...): the normalized shape, checked statically and not passed.
      if (id == Builtin::LayerNorm && positional_seen++ == 1 && isa<ListLit>(a.value)) continue;
      take_positional(a.value, a.range);
      continue;
    }
    size_t k = 0;
    while (k < n && sig.params[k].name != a.name) ++k;
    if (k == n)
      fail(a.name_range, fmt::format("`{}` has no parameter `{}`: {}{}", name, a.name, name,
                                     builtin_info(id).signature));
    if (!given[k].empty()) fail(a.name_range, fmt::format("argument `{}` given twice", a.name));
    // `device: gpu` names the device with a bare word.
    given[k].push_back(a.value);
    named_given[k] = true;
    if (next == k) ++next;
  }
  for (size_t k = 0; k < n; ++k)
    if (given[k].empty() && !sig.params[k].has_default && !sig.params[k].variadic)
      fail(where, fmt::format("missing argument `{}` in call to `{}{}`", sig.params[k].name, name,
                              builtin_info(id).signature));

  // Dedicated opcodes for the tensor builtins on hot paths.
  if (id == Builtin::Matmul && given[0].size() == 1 && given[1].size() == 1) {
    const int a = expr_reg(given[0][0]);
    const int b = expr_reg(given[1][0]);
    at(where);
    fb_.emit(OpCode::MATMUL, dst, a, b);
    return;
  }

  int count = 0;
  for (size_t k = 0; k < n; ++k) count += given[k].empty() ? 1 : static_cast<int>(given[k].size());
  // Variadic parameters with nothing given pass nothing (print(), zeros of a rank-0 shape).
  for (size_t k = 0; k < n; ++k)
    if (given[k].empty() && sig.params[k].variadic) --count;
  const int base = alloc(1 + count, where);
  int slot = base + 1;
  for (size_t k = 0; k < n; ++k) {
    const sema::BuiltinParam& p = sig.params[k];
    if (given[k].empty()) {
      if (!p.variadic) emit_default(slot++, p.default_text, where);
      continue;
    }
    for (const Expr* v : given[k]) {
      const auto* word = dyn_cast<Ident>(v);
      if (p.name == "device" && word && (word->name == "gpu" || word->name == "cpu") &&
          !find_local(word->name) && !program_.global_slot(word->name)) {
        at(v->range);
        fb_.emit(OpCode::LOADK, slot++, static_cast<int>(program_.builder().constant(word->name)));
      } else {
        expr_to(v, slot++);
      }
    }
  }
  at(where);
  std::optional<tl::UnaryOp> unary = count == 1 ? tensor_unary_of(id) : std::nullopt;
  if (id == Builtin::Gelu && given[0].size() == 1) {
    // gelu(x) and gelu(x, approximate: "tanh" | "none") with a literal: one TUNARY.
    const auto* how = given[1].empty() ? nullptr : dyn_cast<StringLit>(given[1][0]);
    if (given[1].empty() || (how && how->value == "tanh")) unary = tl::UnaryOp::Gelu;
    if (how && how->value == "none") unary = tl::UnaryOp::GeluErf;
  }
  if (unary) {
    fb_.emit(OpCode::TUNARY, dst, base + 1, static_cast<int>(*unary));
    return;
  }
  fb_.call_builtin(base, id, count);
  if (base != dst) fb_.emit(OpCode::MOVE, dst, base);
}

// `model.blk[0].attn_q.weight` -> ("blk.0.attn_q.weight", model): a chain of names and integer
// literal indices on a plain name, at least two segments long.
// `model.blk[0].attn_q.weight`: members and integer indices on a Model, looked up as one dotted
// tensor-name prefix. Only on a model (by the checker's types; an untyped value whose chain starts
// with a member may be one): `rows[1][0]` on a list and `x.shape[0]` are ordinary lookups.
bool FunctionCompiler::property_path(const Expr* e, std::string& path, const Expr*& base) const {
  std::vector<std::string> parts;
  const Expr* cur = e;
  for (;;) {
    if (const auto* m = dyn_cast<Member>(cur)) {
      if (m->name == "shape") return false;  // `.shape` ends a path: the tensor's shape
      parts.emplace_back(m->name);
      cur = m->object;
    } else if (const auto* ix = dyn_cast<Index>(cur)) {
      if (ix->items.size() != 1) return false;
      const auto* lit = dyn_cast<IntLit>(ix->items[0]);
      if (!lit) return false;
      parts.push_back(std::to_string(lit->value));
      cur = ix->object;
    } else {
      break;
    }
  }
  if (!isa<Ident>(cur) || parts.size() < 2) return false;
  const SyntaxTree& t = current_tree_ ? *current_tree_ : tree_;
  if (const FileChecks* fc = program_.checks_of(t); fc && fc->analysis) {
    const sema::Type& type = fc->analysis->type_of(cur);
    const bool starts_with_member = !std::isdigit(static_cast<unsigned char>(parts.back()[0]));
    const bool model = type.is(sema::TypeKind::Model) || type.is(sema::TypeKind::ModelPath);
    if (!model && !(type.is_unknown() && starts_with_member)) return false;
  }
  path.clear();
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!path.empty()) path += '.';
    path += *it;
  }
  base = cur;
  return true;
}

void FunctionCompiler::member(const Member* m, int dst) {
  std::string path;
  const Expr* base = nullptr;
  if (property_path(m, path, base)) {
    const int obj = expr_reg(base);
    at(m->range);
    fb_.emit(OpCode::GETMEMBER, dst, obj, static_cast<int>(program_.builder().constant(path)));
    return;
  }
  const int obj = expr_reg(m->object);
  at(m->name_range);
  fb_.emit(OpCode::GETMEMBER, dst, obj, static_cast<int>(program_.builder().constant(m->name)));
}

void FunctionCompiler::index(const Index* ix, int dst) {
  std::string path;
  const Expr* base = nullptr;
  if (property_path(ix, path, base)) {
    const int obj = expr_reg(base);
    at(ix->range);
    fb_.emit(OpCode::GETMEMBER, dst, obj, static_cast<int>(program_.builder().constant(path)));
    return;
  }
  if (ix->items.size() == 1 && !isa<Slice>(ix->items[0])) {
    const int obj = expr_reg(ix->object);
    const int key = expr_reg(ix->items[0]);
    at(ix->range);
    fb_.emit(OpCode::GETINDEX, dst, obj, key);
    return;
  }
  // TSLICE: R[B] = object, then (start, stop, step) per item; step 0 marks an integer index.
  const int k = static_cast<int>(ix->items.size());
  const int b = alloc(1 + 3 * k, ix->range);
  expr_to(ix->object, b);
  slice_items(ix, b + 1);
  at(ix->range);
  fb_.emit(OpCode::TSLICE, dst, b, k);
}

// (start, stop, step) of each index item from register `slot` on; step 0 marks an integer index.
void FunctionCompiler::slice_items(const Index* ix, int slot) {
  for (const Expr* item : ix->items) {
    if (const auto* s = dyn_cast<Slice>(item)) {
      for (const Expr* part : {s->start, s->stop, s->step}) {
        if (part)
          expr_to(part, slot);
        else
          fb_.emit(OpCode::LOADNONE, slot, 0);
        ++slot;
      }
    } else {
      expr_to(item, slot);
      fb_.emit(OpCode::LOADNONE, slot + 1, 0);
      int_to(slot + 2, 0);
      slot += 3;
    }
  }
}

void FunctionCompiler::list(const ListLit* l, int dst) {
  const int n = static_cast<int>(l->elements.size());
  if (n > 200)
    fail(l->range,
         "list literals are limited to 200 elements per level; load large data from a "
         "model file");
  const int base = alloc(std::max(n, 1), l->range);
  int k = 0;
  for (const Expr* e : l->elements) expr_to(e, base + k++);
  at(l->range);
  fb_.emit(OpCode::NEWLIST, dst, base, n);
}

void FunctionCompiler::map(const MapLit* m, int dst) {
  const int n = static_cast<int>(m->entries.size());
  if (n > 100) fail(m->range, "map literals are limited to 100 entries");
  const int base = alloc(std::max(2 * n, 1), m->range);
  int k = 0;
  for (const MapEntry& e : m->entries) {
    expr_to(e.key, base + k++);
    expr_to(e.value, base + k++);
  }
  at(m->range);
  fb_.emit(OpCode::NEWMAP, dst, base, n);
}

// ------------------------------------------------------------------------------------------------
// The program

void ProgramCompiler::gather(CheckedFile file, std::vector<const SyntaxTree*>& order) {
  const SyntaxTree& tree = *file.tree;
  if (std::find(order.begin(), order.end(), &tree) != order.end() || visiting_.count(&tree)) return;
  visiting_.insert(&tree);
  for (const Stmt* s : tree.module()->items)
    if (const auto* imp = dyn_cast<ImportDecl>(s))
      if (imports_)
        if (CheckedFile t = imports_(tree, imp->path->value); t.tree) gather(t, order);
  visiting_.erase(&tree);
  order.push_back(&tree);
  if (file.analysis) index_checks(tree, *file.analysis);
}

void ProgramCompiler::index_checks(const SyntaxTree& tree, const sema::Analysis& analysis) {
  FileChecks& fc = checks_[&tree];
  fc.analysis = &analysis;
  // A file's own functions (an import's copies point at the same declarations: first wins).
  for (const sema::FunctionInfo& f : analysis.functions)
    if (f.decl) function_infos_.try_emplace(f.decl, &f);
  for (const RuntimeCheck& rc : analysis.runtime_checks) {
    if (rc.site == RuntimeCheck::Site::Entry) {
      // An imported function may escape in several files: its checks are the same in each.
      const FnDecl* fn = analysis.functions[rc.function].decl;
      auto [it, fresh] = entry_owner_.emplace(fn, &analysis);
      if (it->second != &analysis) continue;
      ++requested_;
      entry_checks_[fn].push_back(&rc);
      continue;
    }
    ++requested_;
    fc.by_expr[rc.expr_id].push_back(&rc);
    for (const ExpectedDim& d : rc.dims)
      if (d.kind == ExpectedDim::Kind::SameAs) fc.same_as_targets.insert(d.expr_id);
  }
}

CompileStats ProgramCompiler::stats() const {
  return {requested_, emitted_.size()};
}

std::optional<tl::Module> ProgramCompiler::compile(CheckedFile root_file) {
  // Imported files first (dependencies before dependants), the root last.
  const SyntaxTree& root = *root_file.tree;
  std::vector<const SyntaxTree*> order;
  gather(root_file, order);

  const uint32_t entry = mb_.declare_function("<script>", 0);
  mb_.set_entry(entry);

  // Functions are hoisted: every file's functions are declared before any body is compiled.
  std::unordered_set<std::string_view> used_in_functions;
  for (const SyntaxTree* t : order) {
    for (const Stmt* s : t->module()->items) {
      if (const auto* fn = dyn_cast<FnDecl>(s)) {
        if (functions_.count(fn->name)) continue;  // the checker reports duplicates
        // Limits of the bytecode format: a frame of kMaxRegisters, function indices in Bx.
        if (fn->params.size() > static_cast<size_t>(kMaxRegisters)) {
          sink_.report(DiagCode::E0701, fn->name_range,
                       fmt::format("`{}` has {} parameters: a function may have at most {}",
                                   fn->name, fn->params.size(), kMaxRegisters));
          return std::nullopt;
        }
        if (functions_.size() + 1 > static_cast<size_t>(kMaxBx)) {
          sink_.report(
              DiagCode::E0701, fn->name_range,
              fmt::format("more than {} functions in one program (with its imports)", kMaxBx));
          return std::nullopt;
        }
        const uint32_t idx =
            mb_.declare_function(std::string(fn->name), static_cast<int>(fn->params.size()));
        functions_.emplace(fn->name, FunctionEntry{idx, fn, t});
        collect_free_names(fn, used_in_functions);
      }
    }
  }
  // Top-level names that function bodies mention become global slots; the rest of the script's
  // variables stay in registers (fast loops at the top level), the first kScriptRegisterNames of
  // them: a long script's later ones are global slots too, so that no number of top-level
  // variables runs out of registers.
  for (const SyntaxTree* t : order) {
    std::unordered_set<std::string_view> in_registers;
    for (const Stmt* s : t->module()->items) {
      std::string_view name;
      if (const auto* l = dyn_cast<Let>(s)) name = l->name;
      if (const auto* d = dyn_cast<TensorDecl>(s)) name = d->name;
      if (const auto* a = dyn_cast<Assign>(s))
        if (const auto* id = dyn_cast<Ident>(a->target)) name = id->name;
      if (name.empty() || globals_.count(name)) continue;
      bool global = used_in_functions.count(name) > 0;
      if (!global && !in_registers.count(name)) {
        if (in_registers.size() < kScriptRegisterNames)
          in_registers.insert(name);
        else
          global = true;
      }
      if (global) {
        const uint32_t slot = static_cast<uint32_t>(globals_.size());
        if (slot > static_cast<uint32_t>(kMaxBx)) {
          sink_.report(DiagCode::E0701, s->range,
                       fmt::format("more than {} top-level variables in one program (with its "
                                   "imports): keep the values in a list or a map",
                                   kMaxBx + 1));
          return std::nullopt;
        }
        globals_.emplace(name, slot);
      }
    }
  }
  mb_.set_num_globals(static_cast<uint32_t>(globals_.size()));

  for (auto& [name, f] : functions_) {
    FunctionBuilder& fb = mb_.function(f.index);
    fb.set_source(source_index(*f.tree));
    FunctionCompiler fc(*this, fb, *f.tree, /*is_script=*/false);
    try {
      fc.compile_function(f.decl);
    } catch (const CompileAbort&) {
    } catch (const FormatError& e) {
      sink_.report(DiagCode::E0701, f.decl->name_range, e.what());
    }
  }

  FunctionBuilder& script = mb_.function(entry);
  script.set_source(source_index(root));
  FunctionCompiler sc(*this, script, root, /*is_script=*/true);
  for (const SyntaxTree* t : order) sc.compile_script_items(*t, /*run_statements=*/t == &root);
  for (const Stmt* s : root.module()->items)
    if (const auto* m = dyn_cast<MainBlock>(s)) sc.compile_main(m);
  sc.finish_script();

  if (sink_.has_errors()) return std::nullopt;
  try {
    return mb_.finish();
  } catch (const FormatError& e) {
    sink_.report(DiagCode::E0701, root.module()->range,
                 fmt::format("internal compiler error: {}", e.what()));
    return std::nullopt;
  }
}

}  // namespace

std::optional<tl::Module> compile_program(CheckedFile root, const ImportResolver& imports,
                                          DiagnosticSink& sink, CompileStats* stats) {
  ProgramCompiler pc(imports, sink);
  auto module = pc.compile(root);
  if (stats) *stats = pc.stats();
  return module;
}

}  // namespace tl
