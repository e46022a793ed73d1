// The checker's internals (one Checker per analysed file). Split by topic over checker.cpp
// (declarations, statements, scopes), check_expr.cpp (expressions, calls), shape_rules.cpp
// (broadcast, matmul, reductions, ...), builtin_rules.cpp (one rule per builtin) and
// model_shapes.cpp (load_model / get_tensor against file headers).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "compiler/sema/builtin_sigs.h"
#include "compiler/sema/sema.h"

namespace tl::sema {

// Specializations may check this many expressions in all, plus as many as the file has.
inline constexpr uint64_t kSpecializationBudgetBase = 50000;

// The arguments of a builtin call matched to its parameters.
struct BoundArgs {
  const BuiltinSignature* sig = nullptr;
  std::vector<const ast::Expr*> exprs;  // per parameter (nullptr: not given)
  std::vector<Type> types;              // per parameter (Unknown when not given)
  std::vector<const ast::Expr*> rest;   // the variadic parameter's arguments
  std::vector<Type> rest_types;
  bool given(size_t p) const { return exprs[p] != nullptr; }
};

class Checker {
 public:
  Checker(const ast::SyntaxTree& tree, AnalysisContext& ctx, const AnalysisOptions& options,
          Analysis& out);
  void run();

  // --- checker.cpp: scopes, declarations, statements
 private:
  enum class ScopeKind : uint8_t { Module, Function, Block, Loop };
  struct Scope {
    ScopeKind kind;
    std::vector<std::string_view> names;
    SourceRange range;  // Symbol::scope of the names declared in it
  };
  void push_scope(ScopeKind k, SourceRange range);
  void pop_scope();
  SymbolId declare(std::string_view name, SymbolKind kind, SourceRange name_range,
                   SourceRange decl_range, Type type, bool check_redeclaration = true);
  SymbolId lookup(std::string_view name) const;
  void reference(const ast::Expr* e, SymbolId s, bool write);
  void report_unknown_name(std::string_view name, SourceRange range);

  void collect_module_declarations();
  void process_import(const ast::ImportDecl* imp);
  Type import_type(Type t, const Analysis& from);
  void declare_function(const ast::FnDecl* fn, bool imported, FunctionInfo info);
  void check_default(const ast::Param& p, const Type& declared);
  void check_function_body(uint32_t fn_index);
  // Checks the body of function `fn_index` with `params` as its parameters' types (the declared
  // ones, or a specialization's): what it yields, if anything (nullopt: no value).
  std::optional<Type> check_body(uint32_t fn_index, const std::vector<Type>& params, bool generic);
  std::vector<SizeVariable> declare_size_variables(const ast::FnDecl* fn);
  // Specializations (docs/ARCHITECTURE.md): the body of `fn` checked again with a call's argument
  // types, when they carry more than the declared ones; memoized by those types, bounded in
  // depth, per function and in total. nullopt: not specialized (the generic result applies).
  // `bound`: the argument given for each parameter (null: its default).
  bool wants_specialization(uint32_t fn, const FunctionInfo& f, const std::vector<Type>& args,
                            const std::vector<const ast::Arg*>& bound) const;
  std::optional<Type> specialize(const ast::Call* c, uint32_t fn, const FunctionInfo& f,
                                 const std::vector<Type>& args,
                                 const std::vector<const ast::Arg*>& bound,
                                 const std::vector<std::pair<std::string, Dim>>& sizes);
  // The body checked with `params`; its diagnostics (in `diags`) not reported yet.
  Type run_specialization(const ast::Call* c, uint32_t fn, std::vector<Type> params,
                          std::vector<std::pair<std::string, Dim>> sizes,
                          std::vector<Diagnostic>& diags);
  void report_specialization(std::vector<Diagnostic> diags, const ast::Call* c,
                             const std::string& fname, const std::string& why, bool guarded);
  // The expression ids of a function's declaration: [first, second).
  std::pair<uint32_t, uint32_t> expr_range(uint32_t fn);
  // `t` with the current specialization's size variables replaced by their values.
  Type bind_sizes(Type t) const;
  Dim bind_size(Dim d) const;
  void merge_specialization_diagnostics();
  void check_stmt(const ast::Stmt* s);
  void check_block(const ast::Block* b, ScopeKind kind);
  void check_stmts(ast::NodeList<ast::Stmt*> stmts);
  void check_for(const ast::For* f);
  void check_result(const Type& value, const ast::Expr* e);
  Type refine(const Type& declared, const Type& value);
  void add_runtime_check(const Type& declared, const ast::Expr* e, std::string_view what,
                         bool rank_known = false);
  // The parameters' shapes, checked on entry to a function whose value escapes (called where
  // the checker cannot see the arguments).
  void add_entry_checks(uint32_t fn_index);
  std::vector<std::string> visible_names() const;
  void check_let(const ast::Let* let);
  void check_assign(const ast::Assign* as);
  Type conversion(const ast::Call* c, const Type& x, TypeKind to);
  Type metadata_type(const Type& model, const ast::Expr* key);
  void check_item_assign(const ast::Index* target, const Type& value, const ast::Expr* value_expr);
  void check_tensor_decl(const ast::TensorDecl* td);
  void check_return(const ast::Return* r);
  void check_condition(const ast::Expr* cond);
  void set_current_type(SymbolId s, Type t);
  // Checks `value` (of `expr`) against a declared type; reports at `range`.
  void check_against_annotation(const Type& declared, const Type& value, const ast::Expr* expr,
                                std::string_view what, DiagCode code);

  // Types written in the source.
  Type resolve_type(const ast::TypeRef* t, OriginId origin);

  // --- check_expr.cpp
  Type check_expr(const ast::Expr* e);
  Type check_expr_impl(const ast::Expr* e);
  Type check_ident(const ast::Ident* id);
  Type check_unary(const ast::Unary* u);
  Type check_binary(const ast::Binary* b);
  Type binary_result(const ast::Binary* b, Type lhs);
  Type list_as_tensor(const ast::Expr* e, const Type& t);
  void check_normalized_shape(const Type& x, const ast::ListLit* shape);
  Type tensor_comparison(const ast::Binary* b, const Type& l, const Type& r);
  Type check_postfix(const ast::Expr* e);
  // `object`: the type of the callee's object (`o.f(a)`) or of the callee (`o(a)`); null for f(a).
  Type check_call(const ast::Call* c, const Type* object);
  Type check_member(const ast::Member* m, Type object);
  Type check_index(const ast::Index* ix, Type object);
  Type check_list(const ast::ListLit* l);
  Type check_map(const ast::MapLit* m);
  Type check_tensor_ctor(const ast::TensorCtor* t);
  Type map_field(const Type& map, const Type& key);
  void collect_assigned_keys();
  Type call_function(const ast::Call* c, uint32_t fn, CallInfo& info);
  Type call_builtin(const ast::Call* c, Builtin b, const ast::Expr* self, const Type* self_type,
                    CallInfo& info);
  bool bind_builtin_args(const ast::Call* c, const BuiltinSignature& sig, const ast::Expr* self,
                         const Type* self_type, BoundArgs& out);
  // A model path used as a value becomes a tensor (unknown shape when it names no tensor yet).
  Type as_value(const Type& t) const;

  // --- builtin_rules.cpp: one rule per builtin (a switch over Builtin, no default)
  Type builtin_rule(const ast::Call* c, Builtin b, BoundArgs& a);

  // --- shape_rules.cpp
 public:
  std::string describe(const Dim& d) const;  // "D_in (from `input`)"
  OriginId add_origin(std::string label, SourceRange range);

 private:
  void note_origins(Diagnostic& d, const Dim& a, const Dim& b);
  Type broadcast(const Type& a, const Type& b, const ast::Expr* ea, const ast::Expr* eb,
                 SourceRange op_range, std::string_view op);
  Type matmul(const Type& a, const Type& b, const ast::Expr* ea, const ast::Expr* eb,
              SourceRange op_range, std::string_view op);
  Type reduce(const Type& x, const ast::Expr* dim_expr, const Type& dim_type, bool keepdim,
              std::string_view fn);
  std::optional<size_t> normalize_dim(const Type& x, const ast::Expr* dim_expr,
                                      const Type& dim_type, std::string_view fn, bool allow_end);
  Type reshape(const Type& x, const std::vector<Dim>& target, SourceRange range);
  // Dims named by shape arguments: ints, one Shape, or one list literal (nullopt: not static).
  std::optional<std::vector<Dim>> shape_from_args(const std::vector<const ast::Expr*>& es,
                                                  const std::vector<Type>& ts);
  Type index_tensor(const Type& x, const ast::Index* ix);
  // transpose(x, dims...) with all dims: a permutation.
  Type permute(const Type& x, const std::vector<const ast::Expr*>& dims,
               const std::vector<Type>& dim_types);
  Type einsum(const ast::Call* c, const BoundArgs& a);
  bool require_same_shape(const Type& a, const Type& b, const ast::Expr* ea, const ast::Expr* eb,
                          std::string_view what);

  // --- model_shapes.cpp
  Type load_model(const ast::Expr* path_expr, const Type& path);
  void check_model_saveable(const Type& model, const ast::Expr* e);
  Type model_tensor(const Type& model, std::string_view name, SourceRange range, std::string label);
  Type model_path(const Type& model, std::string path, SourceRange range);
  Type model_pattern(const Type& model, std::string path, SourceRange range);

  // --- state
 public:
  DiagnosticSink sink_;

 private:
  const ast::SyntaxTree& tree_;
  AnalysisContext& ctx_;
  const AnalysisOptions& options_;
  Analysis& out_;
  std::vector<Scope> scopes_;
  struct Binding {
    SymbolId id;
    uint32_t depth;  // index in scopes_
  };
  std::unordered_map<std::string_view, std::vector<Binding>> bindings_;
  uint32_t scope_floor_ = 1;             // lookups skip scopes 1..floor-1 (a caller's blocks)
  std::vector<uint8_t> annotated_;       // by SymbolId: declared with a type
  std::vector<std::string> rigid_vars_;  // size variables of the current function's signature
  std::vector<Type> current_;            // by SymbolId: the type after the latest assignment
  std::vector<std::pair<SymbolId, Type>> assign_log_;  // (symbol, type before) for joins
  // Module-wide first declaration of each name (for "used before its definition").
  std::unordered_map<std::string_view, SourceRange> later_decls_;
  uint32_t loop_depth_ = 0;
  uint32_t branch_depth_ = 0;  // the `if` and `else` blocks around the statement, in this body
  uint32_t current_fn_ = kNoFunction;
  std::vector<Type> fn_returns_;     // return types seen in the current function
  std::vector<uint8_t> fn_state_;    // 0 unchecked, 1 in progress, 2 done
  std::vector<uint8_t> fn_escapes_;  // by function: its value is used other than by a call
  std::unordered_map<const ast::FnDecl*, uint32_t> local_fns_;  // this file's functions
  std::vector<std::string> saved_paths_;  // save_model("literal") paths seen so far
  // Specializations: how deep they nest now, the memo (by function and argument types), the
  // expressions they may still check, how many each function has, and their diagnostics (merged
  // at the end, once per place and code, unless the generic check reports there already).
  struct Memo {
    Type result;
    bool in_progress = true;
    std::vector<Diagnostic> diags;  // without the call's note: reported again for each call
    size_t index = 0;               // in Analysis::specializations
  };
  uint32_t spec_depth_ = 0;
  uint32_t expr_depth_ = 0;  // check_expr calls on the stack (a deep call is not specialized)
  std::unordered_map<std::string, Memo> spec_memo_;
  uint64_t spec_budget_ = 0;
  std::vector<uint32_t> spec_count_;                        // by function
  std::vector<std::pair<uint32_t, uint32_t>> expr_ranges_;  // by function; {0, 0}: not yet
  std::vector<std::pair<std::string, Dim>> spec_sizes_;     // size variables bound to constants
  std::vector<SourceRange> spec_branches_;  // the `if`/`else` blocks of the specialized body
  std::vector<Diagnostic> spec_diags_;
  // The keys of `x["key"] = v` anywhere in the file (collected on the first read of a map entry):
  // such an entry's type is not trusted.
  std::unordered_set<std::string_view> assigned_keys_;
  bool assigned_keys_ready_ = false;
};

// Joins two types reached on different control-flow paths: dims that differ become unknown.
Type join(const Type& newer, const Type& older);

}  // namespace tl::sema
