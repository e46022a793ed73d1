#include "lsp/syntax_analysis.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "compiler/syntax/parser.h"
#include "lsp/text_document.h"
#include "vm/bytecode/builtins.h"

namespace tl::lsp {

namespace {

using namespace tl::ast;

TextRange to_range(SourceRange r) {
  return {r.begin, r.end};
}

bool is_builtin(std::string_view name) {
  return builtin_by_name(name).has_value();
}

bool is_operator(TokenKind k) {
  switch (k) {
    case TokenKind::PipePipe:
    case TokenKind::AmpAmp:
    case TokenKind::EqualEqual:
    case TokenKind::BangEqual:
    case TokenKind::Less:
    case TokenKind::LessEqual:
    case TokenKind::Greater:
    case TokenKind::GreaterEqual:
    case TokenKind::Plus:
    case TokenKind::Minus:
    case TokenKind::Star:
    case TokenKind::Slash:
    case TokenKind::Percent:
    case TokenKind::At:
    case TokenKind::StarStar:
    case TokenKind::Bang:
    case TokenKind::Equal:
    case TokenKind::ColonEqual:
    case TokenKind::Arrow:
      return true;
    default:
      return false;
  }
}

// End offset for a fold that closes with the bracket at `close`: keep the closing line visible
// when the bracket starts its line (as editors' own brace folding does).
size_t fold_end(std::string_view text, size_t close) {
  size_t i = close;
  while (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t')) --i;
  if (i > 0 && text[i - 1] == '\n') return i - 1;
  return close;
}

}  // namespace

SyntaxAnalysis::SyntaxAnalysis(DocumentSnapshot doc) : LexicalAnalysis(std::move(doc)) {
  auto file = std::make_shared<const SourceFile>(
      0, this->doc().path.empty() ? this->doc().uri : this->doc().path, std::string(text()));
  tree_ = parse(std::move(file));
  collect_declarations();
}

SyntaxAnalysis::SyntaxAnalysis(DocumentSnapshot doc, std::shared_ptr<const SourceFile> file)
    : LexicalAnalysis(std::move(doc)) {
  tree_ = parse(std::move(file));
  collect_declarations();
}

void SyntaxAnalysis::collect_declarations() {
  const Module* m = tree_->module();
  if (!m) return;
  TextRange file{0, text().size()};
  std::set<std::string, std::less<>> top_assigned;
  auto header = [&](SourceRange a, SourceRange b) {
    std::string s(tree_->text({a.file, a.begin, std::max(a.begin, b.end)}));
    std::replace(s.begin(), s.end(), '\n', ' ');
    // Collapse the continuation indentation of multi-line parameter lists.
    std::string out;
    for (char c : s)
      if (!(c == ' ' && !out.empty() && out.back() == ' ')) out.push_back(c);
    return out;
  };
  // Lets (and first assignments) anywhere inside `body`, visible in `scope`.
  auto locals = [&](const Node* body, TextRange scope) {
    std::set<std::string, std::less<>> seen;
    walk(body, [&](const Node* n) {
      if (auto* l = dyn_cast<Let>(n)) {
        SourceRange end = l->type ? l->type->range : l->name_range;
        declared_.push_back({std::string(l->name), to_range(l->name_range), scope,
                             CompletionKind::kVariable, header(l->range, end)});
        seen.insert(std::string(l->name));
      } else if (auto* a = dyn_cast<Assign>(n)) {
        if (auto* id = dyn_cast<Ident>(a->target); id && !seen.count(id->name)) {
          seen.insert(std::string(id->name));
          declared_.push_back({std::string(id->name), to_range(id->range), scope,
                               CompletionKind::kVariable, std::string(id->name)});
        }
      } else if (auto* f = dyn_cast<For>(n)) {
        declared_.push_back({std::string(f->var), to_range(f->var_range), to_range(f->range),
                             CompletionKind::kVariable, "for " + std::string(f->var)});
      }
      return !isa<Expr>(n);
    });
  };
  for (const Stmt* s : m->items) {
    if (auto* f = dyn_cast<FnDecl>(s)) {
      SourceRange end = f->return_type      ? f->return_type->range
                        : f->params.empty() ? f->name_range
                                            : f->params.back().range;
      std::string h = header(f->range, end);
      if (!f->return_type && !f->params.empty()) h += ")";
      declared_.push_back(
          {std::string(f->name), to_range(f->name_range), file, CompletionKind::kFunction, h});
      TextRange scope = to_range(f->range);
      for (const Param& p : f->params)
        declared_.push_back({std::string(p.name), to_range(p.name_range), scope,
                             CompletionKind::kVariable, header(p.range, p.range)});
      if (f->body) locals(f->body, scope);
    } else if (auto* t = dyn_cast<TensorDecl>(s)) {
      declared_.push_back({std::string(t->name), to_range(t->name_range), file,
                           CompletionKind::kVariable,
                           "tensor " + header(t->name_range, t->type->range)});
    } else if (auto* mb = dyn_cast<MainBlock>(s)) {
      if (mb->body) locals(mb->body, to_range(mb->range));
    } else if (!isa<ImportDecl>(s)) {
      // Script-style statements: their lets and assignments are file-wide names.
      std::vector<Declared> before = std::move(declared_);
      declared_.clear();
      locals(s, file);
      for (auto& d : declared_)
        if (d.scope.begin == 0 && top_assigned.insert(d.name).second)
          before.push_back(std::move(d));
        else if (d.scope.begin != 0)
          before.push_back(std::move(d));
      declared_ = std::move(before);
    }
  }
}

const Declared* SyntaxAnalysis::lookup(std::string_view name, size_t offset) const {
  const Declared* best = nullptr;
  for (const auto& d : declared_) {
    if (d.name != name || offset < d.scope.begin || offset > d.scope.end) continue;
    // Innermost scope wins; within a scope, the first declaration (the binding one).
    if (!best || d.scope.end - d.scope.begin < best->scope.end - best->scope.begin) best = &d;
  }
  return best;
}

std::vector<Diagnostic> SyntaxAnalysis::diagnostics() const {
  std::vector<Diagnostic> out;
  std::string_view t = text();
  for (const auto& d : tree_->diagnostics()) {
    Diagnostic o;
    o.range = to_range(d.range);
    // An empty range (a missing token) still needs something to underline: the next character
    // on the line, or the previous one at a line's end.
    if (o.range.begin == o.range.end) {
      if (o.range.end < t.size() && t[o.range.end] != '\n' && t[o.range.end] != '\r')
        o.range.end += utf8_sequence_length(t, o.range.end);
      else if (o.range.begin > 0 && t[o.range.begin - 1] != '\n')
        o.range.begin -= 1;
    }
    o.severity = d.severity == tl::Severity::Error     ? Severity::kError
                 : d.severity == tl::Severity::Warning ? Severity::kWarning
                                                       : Severity::kInformation;
    o.code = std::string(diag_info(d.code).id);
    o.message = d.message;
    for (const auto& n : d.notes) o.message += "\nnote: " + n.message;
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<DocumentSymbol> SyntaxAnalysis::symbols() const {
  std::vector<DocumentSymbol> out;
  const Module* m = tree_->module();
  if (!m) return out;
  std::unordered_map<size_t, const std::string*> detail_at;  // name offset -> detail
  for (const auto& d : declared_) detail_at.emplace(d.name_range.begin, &d.detail);
  auto find_detail = [&](TextRange name) {
    auto it = detail_at.find(name.begin);
    return it == detail_at.end() ? std::string() : *it->second;
  };
  std::set<std::string> top_names;
  for (const Stmt* s : m->items) {
    if (auto* f = dyn_cast<FnDecl>(s)) {
      DocumentSymbol sym{std::string(f->name),    find_detail(to_range(f->name_range)),
                         SymbolKind::kFunction,   to_range(f->range),
                         to_range(f->name_range), {}};
      for (const Param& p : f->params)
        sym.children.push_back({std::string(p.name),
                                find_detail(to_range(p.name_range)),
                                SymbolKind::kVariable,
                                to_range(p.range),
                                to_range(p.name_range),
                                {}});
      if (f->body)
        for (const Stmt* b : f->body->stmts)
          if (auto* l = dyn_cast<Let>(b))
            sym.children.push_back({std::string(l->name),
                                    find_detail(to_range(l->name_range)),
                                    SymbolKind::kVariable,
                                    to_range(l->range),
                                    to_range(l->name_range),
                                    {}});
      out.push_back(std::move(sym));
    } else if (auto* t = dyn_cast<TensorDecl>(s)) {
      out.push_back({std::string(t->name),
                     find_detail(to_range(t->name_range)),
                     SymbolKind::kVariable,
                     to_range(t->range),
                     to_range(t->name_range),
                     {}});
    } else if (auto* l = dyn_cast<Let>(s)) {
      top_names.insert(std::string(l->name));
      out.push_back({std::string(l->name),
                     find_detail(to_range(l->name_range)),
                     SymbolKind::kVariable,
                     to_range(l->range),
                     to_range(l->name_range),
                     {}});
    } else if (auto* a = dyn_cast<Assign>(s)) {
      auto* id = dyn_cast<Ident>(a->target);
      if (id && top_names.insert(std::string(id->name)).second)
        out.push_back({std::string(id->name),
                       {},
                       SymbolKind::kVariable,
                       to_range(a->range),
                       to_range(id->range),
                       {}});
    } else if (auto* mb = dyn_cast<MainBlock>(s)) {
      out.push_back({"main",
                     {},
                     SymbolKind::kFunction,
                     to_range(mb->range),
                     {mb->range.begin, std::min<size_t>(mb->range.begin + 4, mb->range.end)},
                     {}});
    } else if (auto* im = dyn_cast<ImportDecl>(s)) {
      out.push_back({std::string(im->path->value),
                     {},
                     SymbolKind::kModule,
                     to_range(im->range),
                     to_range(im->path->range),
                     {}});
    }
  }
  return out;
}

std::vector<SemanticToken> SyntaxAnalysis::semantic_tokens() const {
  // Facts from the tree: which identifier occurrences are types, declarations, functions,
  // parameters, members.
  std::set<uint32_t> type_starts, decl_starts, member_starts, param_starts, param_uses;
  std::set<std::string, std::less<>> functions;
  const Module* m = tree_->module();
  if (m) {
    walk(m, [&](const Node* n) {
      if (auto* tt = dyn_cast<TensorType>(n)) {
        type_starts.insert(tt->element_range.begin);
        for (const Dim& d : tt->dims)
          if (d.kind == Dim::Kind::Name) type_starts.insert(d.range.begin);
      } else if (auto* nt = dyn_cast<NamedType>(n)) {
        type_starts.insert(nt->range.begin);
      } else if (auto* tc = dyn_cast<TensorCtor>(n)) {
        type_starts.insert(tc->element_range.begin);
      } else if (auto* mem = dyn_cast<Member>(n)) {
        member_starts.insert(mem->name_range.begin);
      } else if (auto* f = dyn_cast<FnDecl>(n)) {
        functions.insert(std::string(f->name));
        decl_starts.insert(f->name_range.begin);
        std::set<std::string, std::less<>> names;
        for (const Param& p : f->params) {
          names.insert(std::string(p.name));
          param_starts.insert(p.name_range.begin);
        }
        // Uses of a parameter: identifiers in the body with its name (lets may shadow it; the
        // checker's scopes will refine this).
        walk(f->body, [&](const Node* b) {
          if (auto* id = dyn_cast<Ident>(b); id && names.count(id->name))
            param_uses.insert(id->range.begin);
          return true;
        });
      } else if (auto* l = dyn_cast<Let>(n)) {
        decl_starts.insert(l->name_range.begin);
      } else if (auto* t = dyn_cast<TensorDecl>(n)) {
        decl_starts.insert(t->name_range.begin);
      } else if (auto* fo = dyn_cast<For>(n)) {
        decl_starts.insert(fo->var_range.begin);
      }
      return true;
    });
  }
  std::vector<SemanticToken> out;
  const auto& tokens = tree_->tokens();
  out.reserve(tokens.size() + tree_->comments().size());
  const auto& comments = tree_->comments();
  size_t ci = 0;
  auto flush_comments = [&](uint32_t upto) {
    while (ci < comments.size() && comments[ci].range.begin < upto) {
      out.push_back({to_range(comments[ci].range), TokenType::kComment, 0});
      ++ci;
    }
  };
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    flush_comments(t.begin);
    if (t.kind == TokenKind::Eof) break;
    TextRange r{t.begin, t.end};
    if (is_keyword(t.kind)) {
      out.push_back({r, TokenType::kKeyword, 0});
    } else if (t.kind == TokenKind::IntLiteral || t.kind == TokenKind::FloatLiteral) {
      out.push_back({r, TokenType::kNumber, 0});
    } else if (t.kind == TokenKind::StringLiteral) {
      out.push_back({r, TokenType::kString, 0});
    } else if (is_operator(t.kind)) {
      out.push_back({r, TokenType::kOperator, 0});
    } else if (t.kind == TokenKind::Identifier) {
      std::string_view name = text().substr(t.begin, t.end - t.begin);
      bool call = i + 1 < tokens.size() && tokens[i + 1].kind == TokenKind::LParen;
      uint32_t mods = decl_starts.count(t.begin) ? uint32_t{kModDeclaration} : 0u;
      if (type_starts.count(t.begin)) {
        out.push_back({r, TokenType::kType, 0});
      } else if (param_starts.count(t.begin)) {
        out.push_back({r, TokenType::kParameter, kModDeclaration});
      } else if (functions.count(name) && (call || mods)) {
        out.push_back({r, TokenType::kFunction, mods});
      } else if (member_starts.count(t.begin)) {
        out.push_back({r, call ? TokenType::kFunction : TokenType::kProperty,
                       call && is_builtin(name) ? kModDefaultLibrary : 0u});
      } else if (call && is_builtin(name)) {
        out.push_back({r, TokenType::kFunction, kModDefaultLibrary});
      } else {
        bool param = param_uses.count(t.begin) > 0;
        out.push_back({r, param ? TokenType::kParameter : TokenType::kVariable, mods});
      }
    }
  }
  flush_comments(UINT32_MAX);
  return out;
}

std::vector<FoldingRange> SyntaxAnalysis::folding_ranges() const {
  std::vector<FoldingRange> out;
  std::string_view t = text();
  const Module* m = tree_->module();
  auto bracketed = [&](SourceRange r) {
    if (r.end > r.begin && r.end <= t.size())
      out.push_back({{r.begin, fold_end(t, r.end - 1)}, ""});
  };
  if (m) {
    walk(m, [&](const Node* n) {
      switch (n->kind) {
        case NodeKind::Block:
        case NodeKind::ListLit:
        case NodeKind::MapLit:
          bracketed(n->range);
          break;
        case NodeKind::Call: {
          auto* c = cast<Call>(n);
          bracketed({n->range.file, c->callee->range.end, n->range.end});
          break;
        }
        case NodeKind::TensorCtor:
          bracketed(n->range);
          break;
        case NodeKind::FnDecl: {
          auto* f = cast<FnDecl>(n);  // a multi-line parameter list
          if (!f->params.empty())
            out.push_back({{f->name_range.end, f->params.back().range.end}, ""});
          break;
        }
        default:
          break;
      }
      return true;
    });
  }
  // Block comments, and runs of line comments on consecutive lines.
  const auto& cs = tree_->comments();
  for (size_t i = 0; i < cs.size();) {
    if (cs[i].block) {
      out.push_back({to_range(cs[i].range), "comment"});
      ++i;
      continue;
    }
    size_t j = i;
    while (j + 1 < cs.size() && !cs[j + 1].block && cs[j + 1].own_line &&
           std::count(t.begin() + cs[j].range.end, t.begin() + cs[j + 1].range.begin, '\n') == 1)
      ++j;
    if (j > i) out.push_back({{cs[i].range.begin, cs[j].range.end}, "comment"});
    i = j + 1;
  }
  return out;
}

std::optional<HoverInfo> SyntaxAnalysis::hover(size_t offset) const {
  if (auto h = LexicalAnalysis::hover(offset)) return h;
  TextRange w = word_at(offset);
  if (w.begin == w.end) return std::nullopt;
  const Declared* d = lookup(text().substr(w.begin, w.end - w.begin), offset);
  if (!d || d->detail.empty()) return std::nullopt;
  return HoverInfo{w, fmt::format("```tensorlogic\n{}\n```", d->detail)};
}

std::vector<CompletionItem> SyntaxAnalysis::completion(size_t offset) const {
  std::vector<CompletionItem> items = LexicalAnalysis::completion(offset);
  std::set<std::string, std::less<>> seen;
  for (const auto& i : items) seen.insert(i.label);
  for (const auto& d : declared_) {
    if (offset < d.scope.begin || offset > d.scope.end) continue;
    if (d.name_range.begin <= offset && offset <= d.name_range.end) continue;  // being typed
    if (!seen.insert(d.name).second) continue;
    items.push_back({d.name, d.kind, d.detail, {}});
  }
  return items;
}

std::vector<Location> SyntaxAnalysis::definition(size_t offset) const {
  TextRange w = word_at(offset);
  if (w.begin == w.end) return {};
  const Declared* d = lookup(text().substr(w.begin, w.end - w.begin), offset);
  if (!d) return {};
  return {Location{{}, d->name_range}};
}

}  // namespace tl::lsp
