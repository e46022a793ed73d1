#include "lsp/checked_analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "compiler/sema/builtin_sigs.h"
#include "compiler/syntax/lexer.h"
#include "formatter/format.h"
#include "formatter/lint.h"
#include "lsp/text_document.h"
#include "vm/bytecode/builtins.h"

namespace tl::lsp {

namespace {

using namespace tl::ast;
using sema::SymbolId;
using sema::Type;
using sema::TypeKind;

TextRange to_range(SourceRange r) {
  return {r.begin, r.end};
}

bool is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_identifier(std::string_view s) {
  return !s.empty() && !(s[0] >= '0' && s[0] <= '9') &&
         std::all_of(s.begin(), s.end(), is_ident_char);
}

std::string code_block(std::string_view s) {
  return fmt::format("```tensorlogic\n{}\n```", s);
}

std::string human_bytes(uint64_t n) {
  if (n < 1024) return fmt::format("{} bytes", n);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = -1;
  while (v >= 1024 && u < 3) v /= 1024, ++u;
  return fmt::format("{} bytes ({:.1f} {})", n, v, units[u]);
}

std::string shape_text(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.dims().size(); ++i)
    out += fmt::format("{}{}", i ? ", " : "", s.dims()[i]);
  return out + "]";
}

// "Q4_0 (quantized: blocks of 32 elements in 18 bytes)".
std::string dtype_text(DType t) {
  const DTypeInfo& i = dtype_info(t);
  switch (i.kind) {
    case DTypeKind::Quant:
      return fmt::format(
          "{} (quantized: blocks of {} elements in {} bytes; dequantized to float16)", i.name,
          i.block_elems, i.block_bytes);
    case DTypeKind::Float:
      return fmt::format("{} (converted to float16)", i.name);
    case DTypeKind::Int:
      return fmt::format("{} (integer: not usable as a TL tensor)", i.name);
    case DTypeKind::Unsupported:
      return fmt::format("{} (not supported)", i.name);
  }
  return std::string(i.name);
}

std::string tensor_markdown(const ModelHeader& h, const TensorInfo& t) {
  return fmt::format("**`{}`** in `{}` ({})\n\n- dtype: {}\n- shape: {}\n- size: {}", t.name,
                     h.path.filename().string(), format_name(h.format), dtype_text(t.dtype),
                     shape_text(t.shape), human_bytes(t.nbytes));
}

// "forward(input: float16[N, D_in], ...) -> float16[N, D_out]" and the parameters' ranges in it.
std::string function_label(const sema::Analysis& a, const sema::FunctionInfo& f,
                           std::vector<TextRange>* params = nullptr) {
  std::string s = a.symbols[f.symbol].name + "(";
  for (size_t i = 0; i < f.param_names.size(); ++i) {
    if (i) s += ", ";
    size_t b = s.size();
    s += f.param_names[i];
    if (i < f.params.size() && !f.params[i].is_unknown()) s += ": " + f.params[i].to_string();
    if (params) params->push_back({b, s.size()});
  }
  return s + ") -> " + f.result.to_string();
}

lsp::SymbolKind lsp_kind(sema::SymbolKind k) {
  return k == sema::SymbolKind::Function ? lsp::SymbolKind::kFunction : lsp::SymbolKind::kVariable;
}

// The call whose callee is `callee` among the parents in `path` (innermost last), or null.
const Call* call_of_callee(const std::vector<const Node*>& path, const Expr* callee) {
  for (auto it = path.rbegin(); it != path.rend(); ++it)
    if (const auto* c = dyn_cast<Call>(*it)) return c->callee == callee ? c : nullptr;
  return nullptr;
}

// Lint rules that restate a checker warning on purpose (docs/lint.md, "How the rules work"): the
// editor shows the checker's diagnostic once, and offers the lint rule's fix-its for it. A lint
// finding restates the checker's when both start at the same place (W0609 spans every dead
// statement, W0302 the first one).
constexpr std::pair<DiagCode, DiagCode> kRestatedByLint[] = {{DiagCode::W0608, DiagCode::W0301},
                                                             {DiagCode::W0609, DiagCode::W0302}};

constexpr const char* kLintSource = "tl-lint";
constexpr const char* kFixAllKind = "source.fixAll.tl";

// Code that does nothing, which editors fade (DiagnosticTag Unnecessary).
std::vector<DiagnosticTag> tags_of(DiagCode code) {
  switch (code) {
    case DiagCode::W0302:  // unreachable code (checker)
    case DiagCode::W0601:  // unused_variable
    case DiagCode::W0602:  // unused_function
    case DiagCode::W0603:  // unused_import
    case DiagCode::W0604:  // unused_model
    case DiagCode::W0609:  // unreachable_code
    case DiagCode::W0611:  // self_assignment
      return {DiagnosticTag::kUnnecessary};
    default:
      return {};
  }
}

// "Change `function` to `fn`", "Insert `let `"; for several edits inside the diagnostic's range,
// that range before and after them: "Change `x :=` to `let x =`".
std::string fix_title(const SyntaxTree& tree, SourceRange range, std::vector<FixIt> fixes) {
  std::sort(fixes.begin(), fixes.end(),
            [](const FixIt& a, const FixIt& b) { return a.range.begin < b.range.begin; });
  bool inside = fixes.size() > 1;
  uint32_t cursor = range.begin;
  std::string after;
  for (const FixIt& f : fixes) {
    if (!inside || f.range.file != range.file || f.range.begin < cursor ||
        f.range.end > range.end) {
      inside = false;
      break;
    }
    after += tree.text({range.file, cursor, f.range.begin});
    after += f.replacement;
    cursor = f.range.end;
  }
  if (inside)
    return fmt::format("Change `{}` to `{}{}`", tree.text(range), after,
                       tree.text({range.file, cursor, range.end}));
  const FixIt& f0 = fixes.front();
  return f0.range.size() == 0
             ? fmt::format("Insert `{}`", f0.replacement)
             : fmt::format("Change `{}` to `{}`", tree.text(f0.range), f0.replacement);
}

// Edits already taken by a fix-all, by start: an edit that overlaps one, or starts where one
// starts (two insertions there would have no defined order), is refused.
class TakenRanges {
 public:
  bool free(SourceRange r) const {
    auto next = taken_.lower_bound(r.begin);
    if (next != taken_.end() && (next->first == r.begin || next->first < r.end)) return false;
    return next == taken_.begin() || std::prev(next)->second <= r.begin;
  }
  void take(SourceRange r) { taken_.emplace(r.begin, r.end); }

 private:
  std::map<uint32_t, uint32_t> taken_;
};

// Where docs/ explains a code: lint rules have a section each (GitHub's anchor of
// "## W0607 function_keyword"); the checker's codes are listed in one table of language.md.
std::string diagnostic_doc(DiagCode code) {
  const DiagInfo& info = diag_info(code);
  std::string id(info.id);
  if (id.rfind("W06", 0) == 0) {
    std::transform(id.begin(), id.end(), id.begin(), [](char c) { return std::tolower(c); });
    return fmt::format("lint.md#{}-{}", id, info.name);
  }
  if (id.rfind("E01", 0) == 0 || id.rfind("E02", 0) == 0) return "language.md#errors-and-recovery";
  return "language.md#checker-diagnostics";
}

}  // namespace

std::string path_to_uri(std::string_view path) {
  std::string out = "file://";
  for (unsigned char c : path) {
    if (is_ident_char(static_cast<char>(c)) || c == '/' || c == '-' || c == '.' || c == '~')
      out.push_back(static_cast<char>(c));
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::shared_ptr<const ModelHeader> SharedModelHeaders::refresh(
    const std::shared_ptr<const ModelHeader>& h) {
  if (!h) return h;
  std::lock_guard lock(mu);
  try {
    return cache->get(h->path);
  } catch (const std::exception&) {
    return h;  // unreadable now: the diagnostics of the next analysis say why
  }
}

// --- construction -------------------------------------------------------------------------------

CheckedAnalysis::CheckedAnalysis(DocumentSnapshot doc, std::unique_ptr<SourceManager> sources,
                                 std::shared_ptr<const SourceFile> file,
                                 std::shared_ptr<SharedModelHeaders> headers)
    : SyntaxAnalysis(std::move(doc), std::move(file)),
      sources_(std::move(sources)),
      headers_(std::move(headers)) {
  {
    std::lock_guard lock(headers_->mu);
    ctx_ = std::make_unique<sema::AnalysisContext>(*sources_, headers_->cache);
    ctx_->open_files = this->doc().open_files.get();
    sema::AnalysisOptions options;
    options.program_args = this->doc().settings.program_args;
    sema_ = sema::analyze(tree(), *ctx_, options);
  }
  ctx_->open_files = nullptr;  // imports are read: the snapshot's map is not needed later
  if (!this->doc().path.empty()) {
    std::error_code ec;
    canonical_path_ = std::filesystem::weakly_canonical(this->doc().path, ec).string();
    if (ec) canonical_path_ = this->doc().path;
  }
  const FileId self = tree().source().id();
  for (SymbolId s = 0; s < sema_->symbols.size(); ++s) {
    const auto& sym = sema_->symbols[s];
    if (!sym.imported && sym.name_range.file == self) declared_at_.emplace(sym.name_range.begin, s);
    by_name_[sym.name].push_back(s);
  }
  if (tree().module())
    for (const Stmt* st : tree().module()->items)
      if (const auto* fn = dyn_cast<FnDecl>(st)) function_ranges_.push_back(to_range(fn->range));
  for (const auto& d : tree().diagnostics()) published_.push_back({&d});
  for (const auto& d : sema_->diagnostics) published_.push_back({&d});
  if (this->doc().settings.lint && !tree().has_errors()) publish_lint();
}

// The same call as `tl lint` (compiler/driver/cmd_lint.cpp): the tree, the checker's analysis of
// it, and the SourceManager that holds its imports.
void CheckedAnalysis::publish_lint() {
  lint_ = lint::lint(tree(), sema_.get(), sources_.get());
  // Checker warnings by (code, start), for the restatements below.
  std::map<std::pair<DiagCode, uint32_t>, size_t> checker_at;
  for (size_t i = 0; i < published_.size(); ++i)
    if (published_[i].diag->range.file == tree().source().id())
      checker_at.emplace(std::pair{published_[i].diag->code, published_[i].diag->range.begin}, i);
  for (const tl::Diagnostic& l : lint_) {
    auto restated = std::find_if(std::begin(kRestatedByLint), std::end(kRestatedByLint),
                                 [&](const auto& pair) { return pair.first == l.code; });
    if (restated != std::end(kRestatedByLint)) {
      auto it = checker_at.find({restated->second, l.range.begin});
      if (it != checker_at.end()) {
        Published& checker = published_[it->second];
        if (!checker.restated) checker.restated = &l;
        continue;
      }
    }
    published_.push_back({&l, true});
  }
}

const std::vector<tl::FixIt>& CheckedAnalysis::fixits(const Published& p) const {
  return p.diag->fixits.empty() && p.restated ? p.restated->fixits : p.diag->fixits;
}

// A restating lint finding may see further (W0609 spans every dead statement, W0302 only the
// first): the editor marks, and fades, all of it.
SourceRange CheckedAnalysis::range_of(const Published& p) const {
  return p.restated ? SourceRange::join(p.diag->range, p.restated->range) : p.diag->range;
}

CheckedAnalysis::~CheckedAnalysis() {
  sema_.reset();  // before the imports it refers to
}

Location CheckedAnalysis::location(SourceRange r) const {
  if (r.file == tree().source().id()) return {{}, to_range(r)};
  const SourceFile* f = sources_->file(r.file);
  if (!f) return {{}, {0, 0}};
  return {path_to_uri(f->path()), to_range(r)};
}

bool CheckedAnalysis::in_function(size_t offset) const {
  auto it = std::upper_bound(function_ranges_.begin(), function_ranges_.end(), offset,
                             [](size_t o, const TextRange& r) { return o < r.begin; });
  return it != function_ranges_.begin() && offset <= std::prev(it)->end;
}

SymbolId CheckedAnalysis::visible_symbol(std::string_view name, size_t offset) const {
  SymbolId best = sema::kNoSymbol;
  uint32_t best_size = UINT32_MAX;
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return best;
  for (SymbolId s : it->second) {
    const auto& sym = sema_->symbols[s];
    // Functions are hoisted and function bodies see every top-level name (the checker checks
    // them after the module's statements); elsewhere a name is visible after its declaration.
    bool declared_before = sym.name_range.end <= offset;
    bool in_scope = sym.imported || sym.kind == sema::SymbolKind::Function ||
                    (sym.global && (declared_before || in_function(offset))) ||
                    (sym.scope.begin <= offset && offset <= sym.scope.end &&
                     (sym.kind == sema::SymbolKind::Parameter || declared_before));
    if (!in_scope) continue;
    uint32_t size = sym.global || sym.imported ? UINT32_MAX - 1 : sym.scope.size();
    // Innermost scope first; in the same scope the latest declaration before the cursor.
    if (size < best_size || (size == best_size && sym.name_range.begin <= offset)) {
      best = s;
      best_size = size;
    }
  }
  return best;
}

Type CheckedAnalysis::type_ending_at(size_t end) const {
  const Expr* best = nullptr;
  walk(tree().module(), [&](const Node* n) {
    if (n->range.begin > end || n->range.end < end) return false;
    if (const auto* e = dyn_cast<Expr>(n); e && e->range.end == end && !isa<ErrorExpr>(e))
      if (!best || e->range.begin > best->range.begin) best = e;
    return true;
  });
  if (best && !sema_->expr_types[best->id].is_unknown()) return sema_->expr_types[best->id];
  // Not in the tree (an unfinished line): the identifier before `end`, by name.
  std::string_view t = text();
  size_t b = end;
  while (b > 0 && is_ident_char(t[b - 1])) --b;
  if (b == end) return Type::unknown();
  SymbolId s = visible_symbol(t.substr(b, end - b), end);
  return s == sema::kNoSymbol ? Type::unknown() : sema_->symbols[s].type;
}

std::shared_ptr<const ModelHeader> CheckedAnalysis::current_header(const Type& model) const {
  if (!model.is(TypeKind::Model) && !model.is(TypeKind::ModelPath)) return nullptr;
  return headers_->refresh(model.model);
}

// --- diagnostics and fixes ----------------------------------------------------------------------

std::vector<Diagnostic> CheckedAnalysis::diagnostics() const {
  std::vector<Diagnostic> out;
  std::string_view t = text();
  const FileId self = tree().source().id();
  for (const Published& p : published_) {
    const tl::Diagnostic* d = p.diag;
    Diagnostic o;
    o.range = d->range.file == self ? to_range(range_of(p)) : TextRange{0, 0};
    // An empty range (a missing token) still needs something to underline.
    if (o.range.begin == o.range.end) {
      if (o.range.end < t.size() && t[o.range.end] != '\n' && t[o.range.end] != '\r')
        o.range.end += utf8_sequence_length(t, o.range.end);
      else if (o.range.begin > 0 && t[o.range.begin - 1] != '\n')
        o.range.begin -= 1;
    }
    o.severity = d->severity == tl::Severity::Error     ? Severity::kError
                 : d->severity == tl::Severity::Warning ? Severity::kWarning
                                                        : Severity::kInformation;
    o.code = std::string(diag_info(d->code).id);
    o.doc = diagnostic_doc(d->code);
    if (p.lint) o.source = kLintSource;
    o.tags = tags_of(d->code);
    o.message = d->message;
    for (const auto& n : d->notes) {
      if (n.range.valid())
        o.related.push_back({location(n.range), n.message});
      else
        o.message += "\n" + n.message;  // "did you mean ..." has no place of its own
    }
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<CodeAction> CheckedAnalysis::code_actions(TextRange range) const {
  std::vector<CodeAction> out;
  const FileId self = tree().source().id();
  for (size_t i = 0; i < published_.size(); ++i) {
    const SourceRange r = range_of(published_[i]);
    const std::vector<FixIt>& fixes = fixits(published_[i]);
    if (fixes.empty() || r.file != self) continue;
    if (r.end < range.begin || r.begin > range.end) continue;
    CodeAction a;
    a.diagnostic = i;
    a.preferred = fixes.size() == 1 || published_[i].lint || published_[i].restated;
    for (const auto& f : fixes) a.edits.push_back({location(f.range), f.replacement});
    a.title = fix_title(tree(), r, fixes);
    out.push_back(std::move(a));
  }
  // Every lint fix at once (e.g. VS Code's "source.fixAll" on save). A finding's fix-its are
  // taken whole, or not at all when they touch what an earlier finding's fix-its edit. The
  // checker's own fix-its are guesses (did you mean ...?) and stay one at a time.
  CodeAction all{.title = "Fix all lint findings", .kind = kFixAllKind};
  TakenRanges taken;
  for (const Published& p : published_) {
    const tl::Diagnostic* found = p.lint ? p.diag : p.restated;
    if (!found || found->fixits.empty() || found->range.file != self) continue;
    if (!std::all_of(found->fixits.begin(), found->fixits.end(),
                     [&](const FixIt& f) { return f.range.file == self && taken.free(f.range); }))
      continue;
    for (const auto& f : found->fixits) {
      taken.take(f.range);
      all.edits.push_back({location(f.range), f.replacement});
    }
  }
  if (!all.edits.empty()) out.push_back(std::move(all));
  return out;
}

// --- symbols ------------------------------------------------------------------------------------

std::vector<DocumentSymbol> CheckedAnalysis::symbols() const {
  std::vector<DocumentSymbol> out;
  const FileId self = tree().source().id();
  auto make = [&](const sema::Symbol& s) {
    std::string detail = s.kind == sema::SymbolKind::Function
                             ? function_label(*sema_, sema_->functions[s.function])
                             : s.type.to_string();
    return DocumentSymbol{
        s.name, detail, lsp_kind(s.kind), to_range(s.decl_range), to_range(s.name_range), {}};
  };
  std::vector<const sema::Symbol*> locals;
  for (const auto& s : sema_->symbols) {
    if (s.imported || s.name_range.file != self) continue;
    if (s.kind == sema::SymbolKind::SizeVariable) continue;  // part of the signature's types
    if (s.global)
      out.push_back(make(s));
    else
      locals.push_back(&s);
  }
  // A function's parameters and local names become its children (locals sorted by position,
  // so each function takes its slice: linear in the file, not functions x locals).
  std::sort(locals.begin(), locals.end(),
            [](const auto* a, const auto* b) { return a->name_range.begin < b->name_range.begin; });
  for (auto& f : out) {
    if (f.kind != lsp::SymbolKind::kFunction) continue;
    auto first =
        std::lower_bound(locals.begin(), locals.end(), f.range.begin,
                         [](const sema::Symbol* s, size_t b) { return s->name_range.begin < b; });
    for (auto l = first; l != locals.end() && (*l)->name_range.end <= f.range.end; ++l)
      f.children.push_back(make(**l));
  }
  // What the checker does not declare: `main` blocks and imports.
  if (tree().module())
    for (const Stmt* st : tree().module()->items) {
      if (const auto* mb = dyn_cast<MainBlock>(st))
        out.push_back({"main",
                       {},
                       lsp::SymbolKind::kFunction,
                       to_range(mb->range),
                       {mb->range.begin, std::min<size_t>(mb->range.begin + 4, mb->range.end)},
                       {}});
      else if (const auto* im = dyn_cast<ImportDecl>(st))
        out.push_back({std::string(im->path->value),
                       {},
                       lsp::SymbolKind::kModule,
                       to_range(im->range),
                       to_range(im->path->range),
                       {}});
    }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.range.begin < b.range.begin; });
  return out;
}

// The parser's tokens, with each name the checker resolved classified by its symbol: a
// parameter, a function, or a variable (a local that shadows a parameter is a variable).
std::vector<SemanticToken> CheckedAnalysis::semantic_tokens() const {
  std::vector<SemanticToken> tokens = SyntaxAnalysis::semantic_tokens();
  const FileId self = tree().source().id();
  std::unordered_map<uint32_t, sema::SymbolKind> kind_at;
  for (const auto& r : sema_->references)
    if (r.range.file == self) kind_at.emplace(r.range.begin, sema_->symbols[r.symbol].kind);
  for (auto& t : tokens) {
    if (t.type != TokenType::kVariable && t.type != TokenType::kParameter &&
        t.type != TokenType::kFunction)
      continue;
    auto it = kind_at.find(static_cast<uint32_t>(t.range.begin));
    if (it == kind_at.end()) continue;
    t.type = it->second == sema::SymbolKind::Parameter  ? TokenType::kParameter
             : it->second == sema::SymbolKind::Function ? TokenType::kFunction
                                                        : TokenType::kVariable;
  }
  return tokens;
}

// --- hover --------------------------------------------------------------------------------------

std::optional<HoverInfo> CheckedAnalysis::hover_string(const StringLit* lit,
                                                       const std::vector<const Node*>& path) const {
  const Call* call = nullptr;
  for (auto it = path.rbegin(); it != path.rend(); ++it)
    if ((call = dyn_cast<Call>(*it))) break;
  if (!call) return std::nullopt;
  const sema::CallInfo* ci = sema_->call_info(call);
  if (!ci || ci->callee != sema::CallInfo::Callee::Builtin) return std::nullopt;
  if (ci->builtin == Builtin::GetTensor) {
    const Expr* model = nullptr;
    if (const auto* m = dyn_cast<Member>(call->callee))
      model = m->object;
    else if (!call->args.empty() && call->args[0].value != lit)
      model = call->args[0].value;
    if (!model) return std::nullopt;
    auto h = current_header(sema_->expr_types[model->id]);
    if (!h) return std::nullopt;
    const TensorInfo* t = h->find(lit->value);
    if (!t) return std::nullopt;
    return HoverInfo{to_range(lit->range), tensor_markdown(*h, *t)};
  }
  if (ci->builtin == Builtin::LoadModel) {
    auto h = current_header(sema_->expr_types[call->id]);
    if (!h) return std::nullopt;
    uint64_t bytes = 0;
    for (const auto& t : h->tensors) bytes += t.nbytes;
    return HoverInfo{
        to_range(lit->range),
        fmt::format("**`{}`**: {}{}, {} tensors ({} of tensor data), {} metadata "
                    "entries; file size {}",
                    h->path.filename().string(), format_name(h->format),
                    h->version ? fmt::format(" v{}", h->version) : "", h->tensors.size(),
                    human_bytes(bytes), h->metadata.size(), human_bytes(h->file_size))};
  }
  return std::nullopt;
}

namespace {
std::string size_variable_doc(std::string_view fn) {
  return fmt::format(
      "A dimension of `{}`'s signature: each call binds it from the arguments' shapes, and "
      "every use must agree. In the body it is an `int` holding this call's size.",
      fn);
}
}  // namespace

std::optional<HoverInfo> CheckedAnalysis::size_variable_hover(sema::SymbolId s,
                                                              TextRange word) const {
  std::string md = code_block(fmt::format("size variable {}: int", sema_->symbols[s].name));
  for (const auto& f : sema_->functions)
    for (const auto& v : f.size_variables)
      if (v.symbol == s) md += "\n\n" + size_variable_doc(sema_->symbols[f.symbol].name);
  return HoverInfo{word, md};
}

// Inside a function the checker specialized (docs/editors.md, "Hover inside a function checked
// per call"): the code block shows what the calls the checker saw have in common; this says
// which calls (each one's type when they differ) and what the body alone knows.
std::string CheckedAnalysis::by_call(const std::vector<sema::SpecializedType>& types,
                                     const Type& generic) const {
  if (types.empty()) return {};
  auto line = [&](const sema::SpecializedType& t) {
    return tree().source().position(t.call.begin).line;
  };
  if (types.size() == 1) {
    if (generic.to_string() == types[0].type.to_string()) return {};
    return fmt::format(
        "\n\nFrom the arguments of the calls the checker saw (the first at line {}); the body "
        "alone gives `{}`",
        line(types[0]), generic.to_string());
  }
  std::string md = "\n\nBy call:";
  for (const auto& t : types) md += fmt::format("\n- line {}: `{}`", line(t), t.type.to_string());
  return md + fmt::format("\n\nThe body alone gives `{}`", generic.to_string());
}

std::optional<HoverInfo> CheckedAnalysis::hover(size_t offset) const {
  const uint32_t off = static_cast<uint32_t>(offset);
  auto path = nodes_at(tree().module(), off);
  const Expr* e = nullptr;
  for (auto it = path.rbegin(); it != path.rend() && !e; ++it) e = dyn_cast<Expr>(*it);
  if (const auto* lit = dyn_cast<StringLit>(e)) return hover_string(lit, path);

  // A callee: the function's signature and what this call binds.
  const Expr* callee_word = nullptr;
  if (const auto* id = dyn_cast<Ident>(e)) callee_word = id;
  if (const auto* m = dyn_cast<Member>(e);
      m && m->name_range.begin <= off && off <= m->name_range.end)
    callee_word = m;
  if (callee_word) {
    if (const Call* call = call_of_callee(path, callee_word)) {
      const sema::CallInfo* ci = sema_->call_info(call);
      TextRange word = isa<Member>(callee_word) ? to_range(cast<Member>(callee_word)->name_range)
                                                : to_range(callee_word->range);
      std::string result = sema_->shown_type(call).to_string();
      const std::string calls =
          by_call(sema_->specialized_types(call), sema_->expr_types[call->id]);
      if (ci && ci->callee == sema::CallInfo::Callee::Function) {
        const auto& f = sema_->functions[ci->function];
        std::string md = code_block("fn " + function_label(*sema_, f));
        md += fmt::format("\n\nThis call returns `{}`", result);
        for (size_t i = 0; i < ci->bindings.size(); ++i)
          md += fmt::format("{}`{} = {}`", i ? ", " : " with ", ci->bindings[i].name,
                            ci->bindings[i].value.to_string());
        return HoverInfo{word, md + calls};
      }
      if (ci && ci->callee == sema::CallInfo::Callee::Builtin) {
        std::string md = builtin_markdown(builtin_info(ci->builtin).name);
        md += fmt::format("\n\nThis call returns `{}`", result);
        return HoverInfo{word, md + calls};
      }
    }
  }

  SymbolId s = sema_->symbol_at(off);
  if (s != sema::kNoSymbol) {
    const auto& sym = sema_->symbols[s];
    TextRange word = word_at(offset);
    if (sym.kind == sema::SymbolKind::Function)
      return HoverInfo{word,
                       code_block("fn " + function_label(*sema_, sema_->functions[sym.function]))};
    if (sym.kind == sema::SymbolKind::SizeVariable) return size_variable_hover(s, word);
    const bool here = e && sema_->expr_symbol[e->id] == s;
    const Type t = here ? sema_->shown_type(e) : sema_->shown_type(s);
    return HoverInfo{word,
                     code_block(fmt::format("{} {}: {}", sema::symbol_kind_name(sym.kind), sym.name,
                                            t.to_string())) +
                         (here ? by_call(sema_->specialized_types(e), sema_->expr_types[e->id])
                               : by_call(sema_->specialized_types(s), sym.type))};
  }
  if (const auto* m = dyn_cast<Member>(e); m && m->name_range.begin <= off &&
                                           off <= m->name_range.end &&
                                           !sema_->shown_type(m).is_unknown())
    return HoverInfo{to_range(m->name_range),
                     code_block(fmt::format(".{}: {}", m->name, sema_->shown_type(m).to_string())) +
                         by_call(sema_->specialized_types(m), sema_->expr_types[m->id])};
  // A size variable in a type outside a signature's first mention: `N` in `float16[N, D_in]`.
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    const auto* tt = dyn_cast<TensorType>(*it);
    if (!tt) continue;
    for (const ast::Dim& d : tt->dims) {
      if (d.kind != ast::Dim::Kind::Name || !d.range.contains(off)) continue;
      const FnDecl* fn = nullptr;
      for (const Node* n : path)
        if (const auto* f = dyn_cast<FnDecl>(n)) fn = f;
      std::string md = code_block(fmt::format("size variable {}", d.name));
      if (fn) md += "\n\n" + size_variable_doc(fn->name);
      return HoverInfo{to_range(d.range), md};
    }
    break;
  }
  if (auto h = LexicalAnalysis::hover(offset)) return h;  // a builtin named outside a call
  if (e && e->range.contains(off) && !isa<ErrorExpr>(e) && !sema_->shown_type(e).is_unknown()) {
    TextRange r = to_range(e->range);
    if (const auto* m = dyn_cast<Member>(e)) r = to_range(m->name_range);
    return HoverInfo{r, code_block(sema_->shown_type(e).to_string()) +
                            by_call(sema_->specialized_types(e), sema_->expr_types[e->id])};
  }
  return std::nullopt;
}

// --- completion ---------------------------------------------------------------------------------

// Inside the string of get_tensor("...") / model.get_tensor("..."): the model's tensor names.
std::vector<CompletionItem> CheckedAnalysis::tensor_name_completion(size_t offset,
                                                                    bool* handled) const {
  std::string_view t = text();
  size_t line_begin = t.rfind('\n', offset == 0 ? 0 : offset - 1);
  line_begin = line_begin == std::string_view::npos || offset == 0 ? 0 : line_begin + 1;
  size_t quote = std::string_view::npos;
  bool in_string = false;
  for (size_t i = line_begin; i < offset; ++i) {
    if (t[i] == '\\' && in_string) {
      ++i;
      continue;
    }
    if (t[i] == '"') {
      in_string = !in_string;
      quote = i;
    }
  }
  if (!in_string) return {};
  *handled = true;  // inside any other string literal: nothing to offer
  // Before the quote: `get_tensor(` (a method call on a model) or `get_tensor(<expr>, `.
  size_t p = quote;
  auto skip_space = [&] {
    while (p > 0 && (t[p - 1] == ' ' || t[p - 1] == '\t')) --p;
  };
  skip_space();
  Type model;
  size_t open = std::string_view::npos;
  if (p > 0 && t[p - 1] == ',') {
    --p;
    skip_space();
    size_t arg_end = p;
    while (p > 0 && t[p - 1] != '(' && t[p - 1] != '\n') --p;
    if (p == 0 || t[p - 1] != '(') return {};
    open = p - 1;
    model = type_ending_at(arg_end);
  } else if (p > 0 && t[p - 1] == '(') {
    open = p - 1;
  } else {
    return {};
  }
  p = open;
  skip_space();
  size_t name_end = p;
  while (p > 0 && is_ident_char(t[p - 1])) --p;
  if (t.substr(p, name_end - p) != "get_tensor") return {};
  if (model.is_unknown()) {
    if (p == 0 || t[p - 1] != '.') return {};
    model = type_ending_at(p - 1);
  }
  auto h = current_header(model);
  if (!h) return {};
  size_t end = offset;
  while (end < t.size() && t[end] != '"' && t[end] != '\n' && t[end] != ')') ++end;
  TextRange replace{quote + 1, end};
  std::vector<CompletionItem> items;
  items.reserve(h->tensors.size());
  for (const auto& ti : h->tensors)
    items.push_back({ti.name, CompletionKind::kConstant,
                     fmt::format("{} {}", dtype_name(ti.dtype), shape_text(ti.shape)),
                     tensor_markdown(*h, ti), replace});
  return items;
}

// After `expr.`: a model's next name segments, `shape`, and the builtins callable as methods.
std::vector<CompletionItem> CheckedAnalysis::member_completion(size_t offset, bool* handled) const {
  std::string_view t = text();
  size_t b = std::min(offset, t.size());
  while (b > 0 && is_ident_char(t[b - 1])) --b;
  if (b == 0 || t[b - 1] != '.') return {};
  size_t dot = b - 1;
  if (dot > 0 && t[dot - 1] >= '0' && t[dot - 1] <= '9') {  // `1.` is a number
    size_t k = dot;
    while (k > 0 && is_ident_char(t[k - 1])) --k;
    if (k < dot && t[k] >= '0' && t[k] <= '9') return {};
  }
  Type obj = type_ending_at(dot);
  *handled = true;
  std::vector<CompletionItem> items;
  if (auto h = current_header(obj)) {
    std::string prefix = obj.is(TypeKind::ModelPath) ? obj.path + "." : "";
    std::set<std::string, std::less<>> seen;
    for (const auto& ti : h->tensors) {
      // `m.blk[i].` (path `blk.*`) completes the members every layer may have.
      size_t used = 0;
      if (obj.is(TypeKind::ModelPath)) {
        auto n = sema::path_prefix_length(obj.path, ti.name);
        if (!n) continue;
        used = *n;
      }
      std::string_view rest = std::string_view(ti.name).substr(used);
      size_t cut = rest.find('.');
      std::string seg(rest.substr(0, cut));
      if (!is_identifier(seg) || !seen.insert(seg).second) continue;
      bool leaf = cut == std::string_view::npos;
      std::string next;
      if (!leaf) {
        size_t cut2 = rest.find('.', cut + 1);
        std::string_view after = rest.substr(
            cut + 1, cut2 == std::string_view::npos ? std::string_view::npos : cut2 - cut - 1);
        if (!after.empty() && after[0] >= '0' && after[0] <= '9') next = "[...]";
      }
      items.push_back({seg, leaf ? CompletionKind::kConstant : CompletionKind::kModule,
                       leaf ? fmt::format("{} {}", dtype_name(ti.dtype), shape_text(ti.shape))
                            : prefix + seg + (next.empty() ? ".*" : next),
                       leaf ? tensor_markdown(*h, ti) : std::string()});
    }
  }
  if (obj.is_tensor())
    items.push_back({"shape",
                     CompletionKind::kVariable,
                     obj.rank_known ? Type::shape(obj.dims).to_string() : "Shape",
                     {}});
  if (!obj.is_unknown()) {  // a path prefix (`m.blk[0].`) takes the Model builtins
    const Type& value = obj;
    for (const auto& sig : sema::builtin_signatures()) {
      if (sig.params.empty() || sig.params[0].type == sema::ParamType::Any) continue;
      if (!sema::accepts(sig.params[0].type, value)) continue;
      if (obj.is_tensor() && sig.id == Builtin::ShapeOf) continue;  // offered as `.shape` above
      const auto& info = builtin_info(sig.id);
      items.push_back({std::string(info.name), CompletionKind::kFunction,
                       fmt::format("{}{}", info.name, info.signature), std::string(info.doc)});
    }
  }
  return items;
}

std::vector<CompletionItem> CheckedAnalysis::completion(size_t offset) const {
  // Nothing inside a comment.
  const auto& comments = tree().comments();
  auto c = std::upper_bound(comments.begin(), comments.end(), offset,
                            [](size_t o, const ast::Comment& k) { return o < k.range.begin; });
  if (c != comments.begin()) {
    const ast::Comment& k = *std::prev(c);
    if (offset > k.range.begin && (offset < k.range.end || (offset == k.range.end && !k.block)))
      return {};
  }
  bool handled = false;
  auto names = tensor_name_completion(offset, &handled);
  if (handled) return names;
  auto members = member_completion(offset, &handled);
  if (handled) return members;

  std::vector<CompletionItem> items = LexicalAnalysis::completion(offset);
  std::set<std::string, std::less<>> seen;
  for (const auto& i : items) seen.insert(i.label);
  // Names in scope, innermost first.
  std::vector<std::pair<uint32_t, SymbolId>> visible;
  for (SymbolId s = 0; s < sema_->symbols.size(); ++s) {
    const auto& sym = sema_->symbols[s];
    if (sym.name_range.contains(static_cast<uint32_t>(offset)) ||
        sym.name_range.end == offset)  // the name being typed at its declaration
      continue;
    if (visible_symbol(sym.name, offset) != s) continue;
    visible.push_back({sym.global ? UINT32_MAX : sym.scope.size(), s});
  }
  std::sort(visible.begin(), visible.end());
  for (auto [size, s] : visible) {
    const auto& sym = sema_->symbols[s];
    if (!seen.insert(sym.name).second) continue;
    bool fn = sym.kind == sema::SymbolKind::Function;
    items.push_back(
        {sym.name,
         fn ? CompletionKind::kFunction : CompletionKind::kVariable,
         fn ? function_label(*sema_, sema_->functions[sym.function]) : sym.type.to_string(),
         {}});
  }
  return items;
}

// --- navigation ---------------------------------------------------------------------------------

std::vector<Location> CheckedAnalysis::definition(size_t offset) const {
  const uint32_t off = static_cast<uint32_t>(offset);
  SymbolId s = sema_->symbol_at(off);
  if (s != sema::kNoSymbol) return {location(sema_->symbols[s].name_range)};
  // On an import's path: the imported file.
  if (!tree().module()) return {};
  for (const Stmt* st : tree().module()->items)
    if (const auto* im = dyn_cast<ImportDecl>(st); im && im->path->range.contains(off)) {
      namespace fs = std::filesystem;
      fs::path p(std::string(im->path->value));
      if (p.is_relative()) p = fs::path(tree().source().path()).parent_path() / p;
      std::error_code ec;
      if (!fs::is_regular_file(p, ec)) return {};
      return {Location{path_to_uri(fs::weakly_canonical(p, ec).string()), {0, 0}}};
    }
  return {};
}

std::vector<Location> CheckedAnalysis::references(size_t offset, bool include_declaration) const {
  SymbolId s = sema_->symbol_at(static_cast<uint32_t>(offset));
  if (s == sema::kNoSymbol) return {};
  std::vector<Location> out;
  if (include_declaration) out.push_back(location(sema_->symbols[s].name_range));
  for (const auto& r : sema_->references_to(s)) out.push_back(location(r));
  return out;
}

std::optional<std::vector<Location>> CheckedAnalysis::rename_ranges(size_t offset) const {
  SymbolId s = sema_->symbol_at(static_cast<uint32_t>(offset));
  if (s == sema::kNoSymbol || sema_->symbols[s].imported) return std::nullopt;
  return references(offset, true);
}

// A new name must lex as exactly one identifier: not a keyword (`let`), not `1bad x`.
std::optional<std::string> CheckedAnalysis::rename_error(std::string_view name) const {
  if (!is_identifier(name))
    return fmt::format("`{}` is not a name: use letters, digits and `_`, not starting with a digit",
                       name);
  SourceFile file(0, "<rename>", std::string(name));
  DiagnosticSink sink;
  LexResult lexed = lex(file, sink);
  if (lexed.tokens.empty() || lexed.tokens[0].kind != TokenKind::Identifier)
    return fmt::format("`{}` is a keyword", name);
  return std::nullopt;
}

SymbolKey CheckedAnalysis::key_of(SymbolId s) const {
  const auto& sym = sema_->symbols[s];
  if (sym.name_range.file == tree().source().id()) return {canonical_path_, sym.name_range.begin};
  const SourceFile* f = sources_->file(sym.name_range.file);
  return {f ? f->path() : std::string(), sym.name_range.begin};
}

// Only top-level names can be seen from another file (imports bring functions and tensors).
std::optional<SymbolKey> CheckedAnalysis::symbol_key(size_t offset) const {
  SymbolId s = sema_->symbol_at(static_cast<uint32_t>(offset));
  if (s == sema::kNoSymbol || !sema_->symbols[s].global) return std::nullopt;
  SymbolKey key = key_of(s);
  if (key.path.empty()) return std::nullopt;
  return key;
}

std::vector<Location> CheckedAnalysis::occurrences(const SymbolKey& key) const {
  std::vector<Location> out;
  for (SymbolId s = 0; s < sema_->symbols.size(); ++s) {
    const auto& sym = sema_->symbols[s];
    if (!sym.global || sym.name_range.begin != key.name_begin || !(key_of(s) == key)) continue;
    if (!sym.imported) out.push_back(location(sym.name_range));
    for (const auto& r : sema_->references_to(s)) out.push_back(location(r));
  }
  return out;
}

std::vector<std::string> CheckedAnalysis::dependencies() const {
  std::vector<std::string> out;
  const FileId self = tree().source().id();
  for (FileId id = 0;; ++id) {
    const SourceFile* f = sources_->file(id);
    if (!f) break;
    if (id != self) out.push_back(f->path());
  }
  return out;
}

// The paths of `import "..."` and of `load_model("...")` calls whose model the checker found.
std::vector<DocumentLink> CheckedAnalysis::document_links() const {
  namespace fs = std::filesystem;
  std::vector<DocumentLink> out;
  auto inside_quotes = [](const StringLit* lit) {
    return TextRange{lit->range.begin + 1, lit->range.end > lit->range.begin + 1
                                               ? lit->range.end - 1
                                               : lit->range.begin + 1};
  };
  walk(tree().module(), [&](const Node* n) {
    if (const auto* im = dyn_cast<ImportDecl>(n)) {
      fs::path p(std::string(im->path->value));
      if (p.is_relative()) p = fs::path(tree().source().path()).parent_path() / p;
      std::error_code ec;
      if (fs::is_regular_file(p, ec))
        out.push_back({inside_quotes(im->path), fs::weakly_canonical(p, ec).string()});
      return false;
    }
    if (const auto* call = dyn_cast<Call>(n)) {
      const auto* callee = dyn_cast<Ident>(call->callee);
      const Type& t = sema_->expr_types[call->id];
      if (callee && callee->name == "load_model" && !call->args.empty() && t.model &&
          t.is(TypeKind::Model))
        if (const auto* lit = dyn_cast<StringLit>(call->args[0].value))
          out.push_back({inside_quotes(lit), fs::absolute(t.model->path).string()});
    }
    return true;
  });
  return out;
}

std::vector<TextRange> CheckedAnalysis::selection_ranges(size_t offset) const {
  std::vector<TextRange> out;
  auto add = [&](TextRange r) {
    if (r.begin > offset || r.end < offset) return;
    if (!out.empty() && r.begin == out.back().begin && r.end == out.back().end) return;
    if (!out.empty() && (r.begin > out.back().begin || r.end < out.back().end)) return;
    out.push_back(r);
  };
  TextRange word = word_at(offset);
  if (word.end > word.begin) add(word);
  auto path = nodes_at(tree().module(), static_cast<uint32_t>(offset));
  for (auto it = path.rbegin(); it != path.rend(); ++it) add(to_range((*it)->range));
  add({0, text().size()});
  return out;
}

// --- signature help -----------------------------------------------------------------------------

std::optional<SignatureInfo> CheckedAnalysis::signature_help(size_t offset) const {
  // The innermost unclosed '(' before the cursor, in the tokens (strings and comments skipped).
  const auto& tokens = tree().tokens();
  std::vector<std::pair<size_t, int>> stack;  // (token index of '(' / '[' / '{', commas)
  for (size_t i = 0; i < tokens.size() && tokens[i].begin < offset; ++i) {
    switch (tokens[i].kind) {
      case TokenKind::LParen:
      case TokenKind::LBracket:
      case TokenKind::LBrace:
        stack.push_back({i, 0});
        break;
      case TokenKind::RParen:
      case TokenKind::RBracket:
      case TokenKind::RBrace:
        if (!stack.empty() && tokens[i].end <= offset) stack.pop_back();
        break;
      case TokenKind::Comma:
        if (!stack.empty()) ++stack.back().second;
        break;
      default:
        break;
    }
  }
  if (stack.empty() || tokens[stack.back().first].kind != TokenKind::LParen) return std::nullopt;
  auto [open, commas] = stack.back();
  if (open == 0 || tokens[open - 1].kind != TokenKind::Identifier) return std::nullopt;
  const Token& name_tok = tokens[open - 1];
  std::string_view name = text().substr(name_tok.begin, name_tok.end - name_tok.begin);
  bool method = open >= 2 && tokens[open - 2].kind == TokenKind::Dot;
  if (!method) {
    SymbolId s = visible_symbol(name, name_tok.begin);
    if (s != sema::kNoSymbol && sema_->symbols[s].kind == sema::SymbolKind::Function) {
      const auto& f = sema_->functions[sema_->symbols[s].function];
      SignatureInfo info;
      info.label = function_label(*sema_, f, &info.parameters);
      int n = static_cast<int>(info.parameters.size());
      info.active_parameter = n == 0 ? 0 : std::min(commas, n - 1);
      return info;
    }
  }
  // A builtin: its table signature (the lexical layer formats it), shifted by one for `x.f(`.
  auto info = LexicalAnalysis::signature_help(offset);
  if (info && method) {
    int n = static_cast<int>(info->parameters.size());
    info->active_parameter = n == 0 ? 0 : std::min(commas + 1, n - 1);
  }
  return info;
}

// --- inlay hints --------------------------------------------------------------------------------

std::vector<InlayHint> CheckedAnalysis::inlay_hints(TextRange visible) const {
  std::vector<InlayHint> out;
  auto hint = [&](SourceRange name) {
    if (name.end < visible.begin || name.begin > visible.end) return;
    auto it = declared_at_.find(name.begin);
    if (it == declared_at_.end()) return;
    // Inside a function checked per call, what the calls give (as hover shows it).
    const Type t = sema_->shown_type(it->second);
    if (t.is_unknown()) return;
    out.push_back({name.end, ": " + t.to_string(), true});
  };
  walk(tree().module(), [&](const Node* n) {
    if (n->range.end < visible.begin || n->range.begin > visible.end) return false;
    if (const auto* l = dyn_cast<Let>(n); l && !l->type) hint(l->name_range);
    if (const auto* f = dyn_cast<For>(n)) hint(f->var_range);
    return !isa<Expr>(n);
  });
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.offset < b.offset; });
  return out;
}

// The same code path as `tl fmt` (formatter/format.h), its self-check included.
std::optional<std::string> CheckedAnalysis::formatted() const {
  format::FormatResult r = format::format_file(tree().source_ptr());
  if (!r.ok) return std::nullopt;
  return std::move(r.text);
}

// --- the analyzer -------------------------------------------------------------------------------

std::shared_ptr<const Analysis> CheckedAnalyzer::analyze(const DocumentSnapshot& doc) const {
  auto sources = std::make_unique<SourceManager>();
  auto file = sources->add(doc.path.empty() ? doc.uri : doc.path, *doc.text);
  return std::make_shared<CheckedAnalysis>(doc, std::move(sources), std::move(file), headers_);
}

Features CheckedAnalyzer::features() const {
  return {.definition = true,
          .references = true,
          .rename = true,
          .signature_help = true,
          .inlay_hints = true,
          .code_actions = true,
          .code_action_kinds = {"quickfix", kFixAllKind},
          .formatting = true};
}

}  // namespace tl::lsp
