// tl_sema: name resolution, types and static shapes for one parsed TL file.
//
//   SourceManager sources;
//   AnalysisContext ctx(sources);                 // owns the model-header cache and imports
//   auto tree = parse(sources.load(path, &why));
//   auto result = analyze(*tree, ctx);            // never throws on bad input
//   result->diagnostics                          // checker diagnostics (the tree has the syntax
//   ones) result->type_of(expr)                        // the type of any expression, by Expr::id
//
// The Analysis is plain side tables keyed by the tree's dense ids, so the compiler, the LSP and
// the linter read it without walking anything twice. It refers to `tree` (and to the trees of
// imported files, kept alive by the context): keep both alive while you use it.
// No global state: two contexts never share anything, and an analysis is cheap enough to redo on
// every keystroke (see bench/sema).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/sema/types.h"
#include "compiler/syntax/ast.h"
#include "compiler/syntax/diagnostics.h"
#include "compiler/syntax/source.h"
#include "vm/bytecode/builtins.h"

namespace tl {
class ModelHeaderCache;
}

namespace tl::sema {

using SymbolId = uint32_t;
inline constexpr SymbolId kNoSymbol = 0xffffffffu;
inline constexpr uint32_t kNoFunction = 0xffffffffu;

enum class SymbolKind : uint8_t {
  Variable,      // let, :=, or `x = e` where x was not bound
  Parameter,     // a function parameter
  LoopVariable,  // for x in ...
  Function,      // fn / function (hoisted)
  Tensor,        // tensor w: float16[...] = ...
  SizeVariable,  // `N` of `x: float16[N, D]`, an int in the function's body
};
std::string_view symbol_kind_name(SymbolKind k);

struct Symbol {
  std::string name;
  SymbolKind kind = SymbolKind::Variable;
  SourceRange name_range;           // the name at its declaration (go-to-definition target)
  SourceRange decl_range;           // the whole declaration
  Type type;                        // the declared type, else the type of its first value
  uint32_t function = kNoFunction;  // Function: index in Analysis::functions
  bool imported = false;            // declared in an imported file (ranges are in that file)
  bool global = false;              // declared at the top level of its file
  SourceRange scope;  // the scope the name is declared in (module, function, block or loop)
};

// One occurrence of a name in the analysed file that resolves to a symbol.
struct Reference {
  SourceRange range;
  SymbolId symbol;
  bool write = false;  // the target of an assignment (`x = e` on a bound x)
};

// A size variable read as an int in a function's body: dimension `dim` of parameter `param`.
struct SizeVariable {
  std::string name;
  uint32_t param = 0, dim = 0;
  SymbolId symbol = kNoSymbol;  // in the analysis of the function's own file
};

// A user function's signature as the checker sees it.
struct FunctionInfo {
  SymbolId symbol = kNoSymbol;
  const ast::FnDecl* decl = nullptr;  // in this file's tree or an imported one
  std::vector<std::string> param_names;
  std::vector<Type> params;  // declared types (size variables as Dim::Var); Unknown if untyped
  std::vector<uint8_t> has_default;  // by parameter: `eps: float = 1e-5` may be omitted
  Type result;  // declared result, else what the body yields (may hold size vars)
  bool declared_result = false;
  std::vector<SizeVariable> size_variables;  // in first-appearance order
};

// A size variable bound at a call: `N = 4` (from argument `input`).
struct SizeBinding {
  std::string name;
  Dim value;
  SourceRange bound_at;  // the argument that bound it
};

// What a call expression calls, and (for user functions) how its size variables were bound.
struct CallInfo {
  enum class Callee : uint8_t { Builtin, Function, Unknown } callee = Callee::Unknown;
  Builtin builtin{};                  // Callee::Builtin
  uint32_t function = kNoFunction;    // Callee::Function
  bool method = false;                // `x.f(a)` called as `f(x, a)`
  std::vector<SizeBinding> bindings;  // Callee::Function
};

// A shape the checker could not verify (a `?` or data-dependent dim, a size variable bound by a
// value of unknown shape): the compiler emits exactly these checks, and nothing else decides
// which run-time shape checks a program has.
struct ExpectedDim {
  enum class Kind : uint8_t {
    Any,          // no constraint
    Const,        // == value
    SameAs,       // == dimension `dim` of the value of expression `expr_id` (evaluated earlier)
    SameAsParam,  // == dimension `dim` of parameter `param` (Site::Entry checks only)
  } kind = Kind::Any;
  int64_t value = 0;
  uint32_t expr_id = 0;
  uint32_t param = 0;
  uint32_t dim = 0;
  std::string message;  // SameAs, SameAsParam: the error when the sizes differ
};
struct RuntimeCheck {
  enum class Site : uint8_t {
    Value,  // right after expression `expr_id` is evaluated
    Entry,  // on entry to function `function` (an index in Analysis::functions), of parameter
            // `param`: for functions whose value escapes, so callers the checker cannot see
  } site = Site::Value;
  uint32_t expr_id = 0;
  uint32_t function = kNoFunction;
  uint32_t param = 0;
  SourceRange range;              // where the error is reported
  std::vector<ExpectedDim> dims;  // the expected rank is dims.size()
  bool rank_unknown = true;       // the rank is not known statically (else only dims are checked)
  std::string message;            // e.g. "argument `input` of `forward` must be float16[N, 3]"
};

// A function body checked again for the argument types of one call (docs/ARCHITECTURE.md,
// "Specializations"): the call passed more than the declared parameter types say (a Model whose
// header is known, a tensor of known shape for an untyped parameter or a `?` dim, a Map with
// known entries, a known string, int or list), so the body's shapes are those of this call. The
// generic check (expr_types, symbols, calls, run-time checks) is what the compiler uses; a
// specialization adds diagnostics (with a note at `call`), the call's result type, and the
// types below, which hover shows.
struct Specialization {
  uint32_t function = kNoFunction;       // index in Analysis::functions
  SourceRange call;                      // the first call with these argument types
  std::vector<SourceRange> later_calls;  // the calls after it with the same types (not re-checked)
  std::vector<Type> params;              // the parameters' types in this specialization
  Type result;
  uint32_t first_expr = 0;  // types[i] is the type of expression first_expr + i
  std::vector<Type> types;
  // The names the body declares (by the offset of the name at its declaration) and their types
  // there, as Symbol::type has them in the generic check.
  std::vector<std::pair<uint32_t, Type>> symbols;
};

// The type an expression has in one specialization of its function (Analysis::specialized_types).
struct SpecializedType {
  Type type;
  SourceRange call;
};

class Analysis {
 public:
  explicit Analysis(const ast::SyntaxTree& tree) : tree_(&tree) {}
  const ast::SyntaxTree& tree() const { return *tree_; }

  std::vector<Type> expr_types;       // by Expr::id
  std::vector<SymbolId> expr_symbol;  // by Expr::id: the symbol an Ident names, else kNoSymbol
  std::vector<uint32_t> expr_call;    // by Expr::id: index in `calls` for Call nodes, else ~0u
  std::vector<Symbol> symbols;
  std::vector<Reference> references;  // uses of names in this file, in source order per scope
  std::vector<FunctionInfo> functions;
  std::vector<CallInfo> calls;
  std::vector<RuntimeCheck> runtime_checks;
  std::vector<Origin> origins;                  // indexed by Dim::origin (0 is "no origin")
  std::vector<Specialization> specializations;  // in the order they were checked
  std::vector<Diagnostic> diagnostics;

  bool has_errors() const;
  const Type& type_of(const ast::Expr* e) const { return expr_types[e->id]; }
  const CallInfo* call_info(const ast::Expr* e) const;

  // Editor queries. `offset` is a byte offset in this file (SourceFile::offset_from_utf16).
  // The innermost expression containing `offset` (nullptr: none).
  const ast::Expr* expr_at(uint32_t offset) const;
  // The symbol declared or referenced at `offset`.
  SymbolId symbol_at(uint32_t offset) const;
  // Every reference to `s` in this file (declaration excluded), in source order.
  std::vector<SourceRange> references_to(SymbolId s) const;
  // The distinct types `e` (or the symbol `s`, declared in a function's body) has in the
  // specializations of its function (by their text, first call first; empty when none gives it a
  // known type). A specialization for the same call as another whose arguments refine its own
  // (the call inside its function's generic check, beside the same call inside a specialization
  // for a call that names the model) is left out.
  std::vector<SpecializedType> specialized_types(const ast::Expr* e) const;
  std::vector<SpecializedType> specialized_types(SymbolId s) const;
  // The type to show for `e` (for `s`): what its types in the specializations have in common
  // (their join: float16[?, 64] for float16[5, 64] and float16[1, 64]), else the generic one
  // (expr_types, Symbol::type).
  Type shown_type(const ast::Expr* e) const;
  Type shown_type(SymbolId s) const;
  // A one-line hover text: "x: float16[4, 2]", or a call's "forward(...) -> float16[4, 2]
  // with N = 4, D_in = 3, D_out = 2". Inside a specialized function, the type every
  // specialization agrees on; when they differ, the generic type and then each one's.
  std::string hover(uint32_t offset) const;

 private:
  const ast::SyntaxTree* tree_;
};

struct AnalysisOptions {
  // Resolve load_model("literal") against files on disk and read their headers.
  bool read_model_headers = true;
  uint32_t error_limit = 200;  // checker errors kept per file (0: all)
  // The program's arguments (`tl check FILE ARGS...`, the editor's programArgs): args() is then
  // a list of these constant strings, so `load_model(args()[0])` reads that file's header.
  std::optional<std::vector<std::string>> program_args;
};

// State shared by the analyses of one compilation or one editor session: the model-header cache
// (path + size + mtime) and the imported files (parsed and analysed once, by canonical path).
class AnalysisContext {
 public:
  explicit AnalysisContext(SourceManager& sources);
  // Shares `headers` with other contexts (an editor keeps one cache for its whole session while
  // each analysis gets a fresh context). The caller serialises use of a shared cache.
  AnalysisContext(SourceManager& sources, std::shared_ptr<ModelHeaderCache> headers);
  ~AnalysisContext();
  AnalysisContext(const AnalysisContext&) = delete;
  AnalysisContext& operator=(const AnalysisContext&) = delete;

  SourceManager& sources() { return sources_; }
  ModelHeaderCache& model_headers() { return *headers_; }
  // Forget imported files (an editor calls this when a file on disk or in a buffer changed).
  void clear_imports() { imports_.clear(); }

  // For the checker: the analysed import at `path` (canonical), loading it on first use.
  // Returns nullptr and sets `error` when it cannot be read; `cycle` when it is being analysed.
  struct Imported {
    std::unique_ptr<ast::SyntaxTree> tree;
    std::unique_ptr<Analysis> analysis;
    bool in_progress = false;
  };
  Imported* import_file(const std::filesystem::path& canonical, const AnalysisOptions& options,
                        std::string* error, bool* cycle);
  std::vector<std::string> import_stack;  // files being analysed, outermost first (for cycles)
  // An editor's unsaved buffers by canonical path: imports read them instead of the disk.
  // Not owned; may be null.
  const std::map<std::string, std::shared_ptr<const std::string>>* open_files = nullptr;

 private:
  SourceManager& sources_;
  std::shared_ptr<ModelHeaderCache> headers_;
  std::map<std::string, std::unique_ptr<Imported>> imports_;
};

std::unique_ptr<Analysis> analyze(const ast::SyntaxTree& tree, AnalysisContext& context,
                                  const AnalysisOptions& options = {});

}  // namespace tl::sema
