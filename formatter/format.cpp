#include "formatter/format.h"

#include <fmt/format.h>

#include "compiler/syntax/parser.h"

namespace tl::format {

namespace {
// A comment's text with each line's trailing whitespace dropped: what the formatter must keep.
std::string clean_comment_text(std::string_view text) {
  // Python's `# note` is written `// note`.
  if (text.starts_with('#')) return "//" + clean_comment_text(text.substr(1));
  std::string out;
  size_t i = 0;
  while (true) {
    size_t nl = text.find('\n', i);
    std::string_view line = text.substr(i, nl == text.npos ? text.npos : nl - i);
    size_t end = line.find_last_not_of(" \t\r\f\v");
    out += line.substr(0, end == line.npos ? 0 : end + 1);
    if (nl == text.npos) break;
    out += '\n';
    i = nl + 1;
  }
  return out;
}
}  // namespace

std::string meaning_dump(const ast::SyntaxTree& tree) {
  ast::DumpOptions options;
  options.ranges = false;
  options.spellings = false;
  std::string out = ast::dump(tree, options);
  out += "(Comments";
  for (const ast::Comment& c : tree.comments()) {
    out += "\n  ";
    // Line breaks shown as \n to keep one line per comment.
    for (char ch : clean_comment_text(tree.text(c.range))) {
      if (ch == '\n')
        out += "\\n";
      else
        out += ch;
    }
  }
  out += ")\n";
  return out;
}

namespace {

void put(std::string& out, std::string_view s) {
  out += s;
  out += '\0';
}
void put(std::string& out, uint64_t n) {
  put(out, std::to_string(n));
}

void node_signature(const ast::Node* n, std::string& out);

// A compact pre-order encoding of everything meaning_dump shows (kinds, names, literal texts,
// operators, child counts and which optional children exist), with no ranges and no spellings.
// Iterative (explicit stack): a long `a + b + ...` chain nests as deep as it is long.
void signature(const ast::Node* root, std::string& out) {
  using namespace ast;
  std::vector<const Node*> stack{root};
  std::vector<const Node*> kids;
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    node_signature(n, out);
    kids.clear();
    for_each_child(n, [&](const Node* c) { kids.push_back(c); });
    for (auto k = kids.rbegin(); k != kids.rend(); ++k) stack.push_back(*k);
  }
}

void node_signature(const ast::Node* n, std::string& out) {
  using namespace ast;
  out += static_cast<char>(n->kind);
  auto args = [&](NodeList<Arg> as) {
    put(out, as.size());
    for (const Arg& a : as) put(out, a.name);
  };
  switch (n->kind) {
    case NodeKind::IntLit:
      put(out, cast<IntLit>(n)->text);
      break;
    case NodeKind::FloatLit:
      put(out, cast<FloatLit>(n)->text);
      break;
    case NodeKind::StringLit:
      put(out, cast<StringLit>(n)->value);
      break;
    case NodeKind::BoolLit:
      out += cast<BoolLit>(n)->value ? '1' : '0';
      break;
    case NodeKind::Ident:
      put(out, cast<Ident>(n)->name);
      break;
    case NodeKind::Unary:
      out += static_cast<char>(cast<Unary>(n)->op);
      break;
    case NodeKind::Binary:
      out += static_cast<char>(cast<Binary>(n)->op);
      break;
    case NodeKind::Call:
      args(cast<Call>(n)->args);
      break;
    case NodeKind::Member:
      put(out, cast<Member>(n)->name);
      break;
    case NodeKind::Index:
      put(out, cast<Index>(n)->items.size());
      break;
    case NodeKind::Slice: {
      const Slice* s = cast<Slice>(n);
      out += static_cast<char>('0' + (s->start ? 1 : 0) + (s->stop ? 2 : 0) + (s->step ? 4 : 0) +
                               (s->has_step_colon ? 8 : 0));
      break;
    }
    case NodeKind::ListLit:
      put(out, cast<ListLit>(n)->elements.size());
      break;
    case NodeKind::MapLit:
      put(out, cast<MapLit>(n)->entries.size());
      break;
    case NodeKind::TensorCtor:
      put(out, cast<TensorCtor>(n)->element);
      args(cast<TensorCtor>(n)->args);
      break;
    case NodeKind::Let:
      put(out, cast<Let>(n)->name);
      out += cast<Let>(n)->type ? '1' : '0';
      break;
    case NodeKind::If:
      out += cast<If>(n)->else_branch ? '1' : '0';
      break;
    case NodeKind::For:
      put(out, cast<For>(n)->var);
      break;
    case NodeKind::Return:
      out += cast<Return>(n)->value ? '1' : '0';
      break;
    case NodeKind::Block:
      put(out, cast<Block>(n)->stmts.size());
      break;
    case NodeKind::FnDecl: {
      const FnDecl* f = cast<FnDecl>(n);
      put(out, f->name);
      put(out, f->params.size());
      for (const Param& p : f->params) {
        put(out, p.name);
        out += p.type ? '1' : '0';
      }
      out += f->return_type ? '1' : '0';
      break;
    }
    case NodeKind::TensorDecl: {
      const TensorDecl* t = cast<TensorDecl>(n);
      put(out, t->name);
      out += static_cast<char>('0' + static_cast<int>(t->qualifier));
      out += t->init ? '1' : '0';
      break;
    }
    case NodeKind::TensorType: {
      const TensorType* t = cast<TensorType>(n);
      put(out, t->element);
      put(out, t->dims.size());
      for (const Dim& d : t->dims) {
        out += static_cast<char>('0' + static_cast<int>(d.kind));
        if (d.kind == Dim::Kind::Int) put(out, static_cast<uint64_t>(d.value));
        if (d.kind == Dim::Kind::Name) put(out, d.name);
      }
      break;
    }
    case NodeKind::NamedType:
      put(out, cast<NamedType>(n)->name);
      break;
    case NodeKind::Module:
      put(out, cast<Module>(n)->items.size());
      break;
    default:
      break;
  }
}

}  // namespace

bool same_meaning(const ast::SyntaxTree& a, const ast::SyntaxTree& b) {
  const auto& ca = a.comments();
  const auto& cb = b.comments();
  if (ca.size() != cb.size()) return false;
  for (size_t i = 0; i < ca.size(); ++i)
    if (clean_comment_text(a.text(ca[i].range)) != clean_comment_text(b.text(cb[i].range)))
      return false;
  std::string sa, sb;
  sa.reserve(a.source().size());
  sb.reserve(b.source().size());
  signature(a.module(), sa);
  signature(b.module(), sb);
  return sa == sb;
}

FormatResult format_file(std::shared_ptr<const SourceFile> file, bool verify) {
  FormatResult result;
  auto tree = parse(file);
  if (tree->has_errors()) {
    result.diagnostics = tree->diagnostics();
    return result;
  }
  result.text = format_tree(*tree);
  if (verify) {
    auto again = parse(std::make_shared<const SourceFile>(file->id(), file->path(), result.text));
    if (again->has_errors()) {
      result.internal_error =
          "the formatted text does not parse (a formatter bug; file left as is)";
      result.diagnostics = again->diagnostics();
      return result;
    }
    if (!same_meaning(*tree, *again)) {
      result.internal_error =
          "formatting would change the program or its comments (a formatter bug; file left as is)";
      return result;
    }
  }
  result.ok = true;
  return result;
}

}  // namespace tl::format
