#include "compiler/syntax/ast.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace tl::ast {

// --- arena --------------------------------------------------------------------------------------

void* Arena::allocate(size_t size, size_t align) {
  size_t pad = (align - reinterpret_cast<uintptr_t>(cur_) % align) % align;
  if (!cur_ || pad + size > left_) {
    // Blocks grow with the tree (64 KiB .. 4 MiB) and are not zeroed: nodes initialise themselves.
    size_t grow =
        std::min<size_t>(size_t{64} * 1024 << std::min<size_t>(blocks_.size(), 6), 4u << 20);
    size_t block = std::max<size_t>(size + align, grow);
    blocks_.push_back(std::unique_ptr<std::byte[]>(new std::byte[block]));
    cur_ = blocks_.back().get();
    left_ = block;
    pad = (align - reinterpret_cast<uintptr_t>(cur_) % align) % align;
  }
  std::byte* p = cur_ + pad;
  cur_ = p + size;
  left_ -= pad + size;
  used_ += size;
  return p;
}

std::string_view Arena::copy(std::string_view s) {
  if (s.empty()) return {};
  char* p = static_cast<char*>(allocate(s.size(), 1));
  std::copy(s.begin(), s.end(), p);
  return {p, s.size()};
}

// --- names --------------------------------------------------------------------------------------

std::string_view node_kind_name(NodeKind k) {
  switch (k) {
#define TL_AST_EXPR(Name) \
  case NodeKind::Name:    \
    return #Name;
#define TL_AST_STMT(Name) TL_AST_EXPR(Name)
#define TL_AST_DECL(Name) TL_AST_EXPR(Name)
#define TL_AST_TYPE(Name) TL_AST_EXPR(Name)
#include "compiler/syntax/ast_nodes.def"
    case NodeKind::Module:
      return "Module";
  }
  return "?";
}

std::string_view unary_op_spelling(UnaryOp op) {
  return op == UnaryOp::Neg ? "-" : "!";
}

std::string_view binary_op_spelling(BinaryOp op) {
  static constexpr std::string_view kNames[] = {
      "||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "@", "**"};
  return kNames[static_cast<size_t>(op)];
}

int binary_op_precedence(BinaryOp op) {
  switch (op) {
    case BinaryOp::Or:
      return 1;
    case BinaryOp::And:
      return 2;
    case BinaryOp::Eq:
    case BinaryOp::Ne:
      return 3;
    case BinaryOp::Lt:
    case BinaryOp::Le:
    case BinaryOp::Gt:
    case BinaryOp::Ge:
      return 4;
    case BinaryOp::Add:
    case BinaryOp::Sub:
      return 5;
    case BinaryOp::Mul:
    case BinaryOp::Div:
    case BinaryOp::Mod:
    case BinaryOp::MatMul:
      return 6;
    case BinaryOp::Pow:
      return 7;
  }
  return 0;
}

bool binary_op_right_assoc(BinaryOp op) {
  return op == BinaryOp::Pow;
}

bool SyntaxTree::has_errors() const {
  return std::any_of(diagnostics_.begin(), diagnostics_.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

std::vector<const Node*> nodes_at(const Node* root, uint32_t offset) {
  std::vector<const Node*> path;
  const Node* n = root;
  while (n && n->range.begin <= offset && offset <= n->range.end) {
    path.push_back(n);
    const Node* next = nullptr;
    for_each_child(n, [&](const Node* c) {
      if (c->range.begin <= offset && offset <= c->range.end) next = c;  // the last one wins
    });
    n = next;
  }
  return path;
}

// --- dump ---------------------------------------------------------------------------------------

namespace {

class Dumper {
 public:
  Dumper(const SourceFile& s, DumpOptions o) : source_(s), options_(o) {}

  // A node as S-expression text (no trailing newline). A node fits on one line when its whole
  // rendering is short and single-line; otherwise its children go on their own indented lines.
  std::string node(const Node* n) {
    if (!n) return "_";
    std::string head = fmt::format("({}", node_kind_name(n->kind));
    attrs(n, head);
    head += range(n->range);
    std::vector<std::string> kids;
    // Children that are not nodes (params, args, map entries) get pseudo-nodes.
    switch (n->kind) {
      case NodeKind::Call:
        kids.push_back(node(cast<Call>(n)->callee));
        for (const Arg& a : cast<Call>(n)->args) kids.push_back(arg(a));
        break;
      case NodeKind::TensorCtor:
        for (const Arg& a : cast<TensorCtor>(n)->args) kids.push_back(arg(a));
        break;
      case NodeKind::MapLit:
        for (const MapEntry& e : cast<MapLit>(n)->entries)
          kids.push_back(compose("(Entry", {node(e.key), node(e.value)}));
        break;
      case NodeKind::Slice: {
        const Slice* sl = cast<Slice>(n);
        kids = {node(sl->start), node(sl->stop), node(sl->step)};
        break;
      }
      case NodeKind::FnDecl: {
        const FnDecl* f = cast<FnDecl>(n);
        for (const Param& p : f->params) {
          std::vector<std::string> t;
          if (p.type) t.push_back(node(p.type));
          if (p.default_value) t.push_back(compose("(Default", {node(p.default_value)}));
          kids.push_back(compose(fmt::format("(Param {}{}", p.name, range(p.range)), std::move(t)));
        }
        if (f->return_type) kids.push_back(compose("(Returns", {node(f->return_type)}));
        kids.push_back(node(f->body));
        break;
      }
      default:
        for_each_child(n, [&](const Node* c) { kids.push_back(node(c)); });
        break;
    }
    return compose(std::move(head), std::move(kids));
  }

 private:
  static std::string compose(std::string head, std::vector<std::string> kids) {
    constexpr size_t kMaxLine = 80;
    size_t total = head.size() + 1;
    bool single = true;
    for (const std::string& k : kids) {
      total += k.size() + 1;
      single &= k.find('\n') == std::string::npos;
    }
    std::string out = std::move(head);
    if (single && total <= kMaxLine) {
      for (const std::string& k : kids) out += " " + k;
    } else {
      for (const std::string& k : kids) {
        out += "\n  ";
        for (char c : k) {
          out += c;
          if (c == '\n') out += "  ";
        }
      }
    }
    out += ")";
    return out;
  }

  std::string range(SourceRange r) const {
    if (!options_.ranges) return {};
    LineColumn b = source_.position(r.begin), e = source_.position(r.end);
    return fmt::format(" @{}:{}-{}:{}", b.line, b.column, e.line, e.column);
  }

  std::string arg(const Arg& a) {
    if (!a.named()) return node(a.value);
    return compose(fmt::format("(Arg {}{}", a.name, range(a.range)), {node(a.value)});
  }

  static std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
      unsigned char u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\t') {
        out += "\\t";
      } else if (u < 0x20 || u == 0x7f) {
        out += fmt::format("\\x{:02x}", u);
      } else {
        out += c;
      }
    }
    out += '"';
    return out;
  }

  void attrs(const Node* n, std::string& h) const {
    switch (n->kind) {
      case NodeKind::IntLit:
        h += fmt::format(" {}", cast<IntLit>(n)->text);
        break;
      case NodeKind::FloatLit:
        h += fmt::format(" {}", cast<FloatLit>(n)->text);
        break;
      case NodeKind::StringLit:
        h += ' ';
        h += quoted(cast<StringLit>(n)->value);
        break;
      case NodeKind::BoolLit:
        h += cast<BoolLit>(n)->value ? " true" : " false";
        break;
      case NodeKind::Ident:
        h += fmt::format(" {}", cast<Ident>(n)->name);
        break;
      case NodeKind::Unary:
        h += fmt::format(" {}", unary_op_spelling(cast<Unary>(n)->op));
        break;
      case NodeKind::Binary:
        h += fmt::format(" {}", binary_op_spelling(cast<Binary>(n)->op));
        break;
      case NodeKind::Member:
        h += fmt::format(" {}", cast<Member>(n)->name);
        break;
      case NodeKind::Slice:
        if (cast<Slice>(n)->has_step_colon) h += " ::";
        break;
      case NodeKind::TensorCtor:
        h += fmt::format(" {}", cast<TensorCtor>(n)->element);
        break;
      case NodeKind::Let:
        h += fmt::format(" {}", cast<Let>(n)->name);
        if (options_.spellings) h += cast<Let>(n)->spelling == LetSpelling::Let ? " let" : " :=";
        break;
      case NodeKind::For:
        h += fmt::format(" {}", cast<For>(n)->var);
        break;
      case NodeKind::FnDecl:
        h += fmt::format(" {}", cast<FnDecl>(n)->name);
        if (options_.spellings)
          h += cast<FnDecl>(n)->keyword == FnKeyword::Fn ? " fn" : " function";
        break;
      case NodeKind::TensorDecl: {
        const TensorDecl* t = cast<TensorDecl>(n);
        h += fmt::format(" {}", t->name);
        if (t->qualifier == Qualifier::Learnable) h += " learnable";
        if (t->qualifier == Qualifier::Frozen) h += " frozen";
        break;
      }
      case NodeKind::TensorType: {
        const TensorType* t = cast<TensorType>(n);
        h += fmt::format(" {} [", t->element);
        for (uint32_t i = 0; i < t->dims.size(); ++i) {
          const Dim& d = t->dims[i];
          if (i) h += ", ";
          if (d.kind == Dim::Kind::Int)
            h += fmt::format("{}", d.value);
          else if (d.kind == Dim::Kind::Name)
            h += d.name;
          else
            h += "?";
        }
        h += "]";
        break;
      }
      case NodeKind::NamedType:
        h += fmt::format(" {}", cast<NamedType>(n)->name);
        break;
      default:
        break;
    }
  }

  const SourceFile& source_;
  DumpOptions options_;
};

}  // namespace

std::string dump(const Node* n, const SourceFile& source, DumpOptions options) {
  return Dumper(source, options).node(n) + "\n";
}

std::string dump(const SyntaxTree& tree, DumpOptions options) {
  return dump(tree.module(), tree.source(), options);
}

}  // namespace tl::ast
