#include "compiler/sema/builtin_sigs.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#include "compiler/syntax/lexer.h"
#include "compiler/syntax/parser.h"

namespace tl::sema {
namespace {

[[noreturn]] void bad_table(std::string_view builtin, std::string_view why) {
  std::fprintf(stderr, "builtins.def: bad signature of %.*s: %.*s\n", int(builtin.size()),
               builtin.data(), int(why.size()), why.data());
  std::abort();
}

ParamType param_type_from(std::string_view builtin, const ast::TypeRef* t) {
  const auto* named = ast::dyn_cast<ast::NamedType>(t);
  if (!named) bad_table(builtin, "parameter types are names (Tensor, int, ...)");
  static constexpr std::pair<std::string_view, ParamType> kNames[] = {
      {"Tensor", ParamType::Tensor}, {"int", ParamType::Int},       {"float", ParamType::Float},
      {"bool", ParamType::Bool},     {"string", ParamType::String}, {"Shape", ParamType::Shape},
      {"Model", ParamType::Model},   {"Map", ParamType::Map},       {"any", ParamType::Any}};
  for (const auto& [n, p] : kNames)
    if (named->name == n) return p;
  bad_table(builtin, fmt::format("unknown type `{}`", named->name));
}

// "(x: Tensor, dim: int = -1, rest: any...) -> Tensor": the lexer splits it; the `= default`
// and `...` parts are cut out, and what is left is parsed as the TL function declaration
// `fn name(x: Tensor, dim: int, rest: any) -> Tensor {}`.
BuiltinSignature parse_signature(const BuiltinInfo& info) {
  BuiltinSignature sig;
  sig.id = info.id;
  sig.name = info.name;
  SourceFile sig_file(0, "builtins.def", std::string(info.signature));
  DiagnosticSink lex_diags;
  LexResult lexed = lex(sig_file, lex_diags);
  if (lex_diags.has_errors()) bad_table(info.name, "does not lex");
  const auto& toks = lexed.tokens;
  auto text = [&](uint32_t b, uint32_t e) { return std::string(sig_file.text().substr(b, e - b)); };

  std::string params_src;
  struct Extra {
    std::string default_text;
    bool has_default = false;
    bool variadic = false;
  };
  std::vector<Extra> extras;
  size_t i = 0;
  if (toks.empty() || toks[0].kind != TokenKind::LParen) bad_table(info.name, "expected `(`");
  ++i;
  int depth = 0;
  size_t param_begin = i;
  auto finish_param = [&](size_t end) {
    if (end == param_begin) return;
    Extra extra;
    size_t type_end = end;
    for (size_t k = param_begin; k < end; ++k) {
      if (toks[k].kind == TokenKind::Equal) {
        extra.has_default = true;
        extra.default_text = text(toks[k + 1].begin, toks[end - 1].end);
        type_end = k;
        break;
      }
    }
    while (type_end > param_begin && toks[type_end - 1].kind == TokenKind::Dot) {
      extra.variadic = true;
      --type_end;
    }
    if (!params_src.empty()) params_src += ", ";
    params_src += text(toks[param_begin].begin, toks[type_end - 1].end);
    extras.push_back(std::move(extra));
  };
  for (; i < toks.size() && toks[i].kind != TokenKind::Eof; ++i) {
    TokenKind k = toks[i].kind;
    if (k == TokenKind::LParen || k == TokenKind::LBracket) ++depth;
    if ((k == TokenKind::RParen || k == TokenKind::RBracket) && depth > 0) {
      --depth;
      continue;
    }
    if (depth == 0 && (k == TokenKind::Comma || k == TokenKind::RParen)) {
      finish_param(i);
      param_begin = i + 1;
      if (k == TokenKind::RParen) break;
    }
  }
  if (i + 1 >= toks.size()) bad_table(info.name, "expected `) -> type`");
  std::string result_src = text(toks[i + 1].begin, toks.back().begin);
  // A fixed name: some builtins are spelt like keywords (`tensor`).
  std::string fn_src = fmt::format("fn builtin({}) {} {{}}\n", params_src, result_src);

  auto file = std::make_shared<SourceFile>(0, "builtins.def", fn_src);
  auto tree = parse(file);
  if (tree->has_errors() || tree->module()->items.size() != 1)
    bad_table(info.name, fmt::format("does not parse as `{}`", fn_src));
  const auto* fn = ast::dyn_cast<ast::FnDecl>(tree->module()->items[0]);
  if (!fn || !fn->return_type || fn->params.size() != extras.size())
    bad_table(info.name, "expected a parameter list and a result type");
  for (uint32_t p = 0; p < fn->params.size(); ++p) {
    BuiltinParam param;
    param.name = std::string(fn->params[p].name);
    if (!fn->params[p].type) bad_table(info.name, "every parameter needs a type");
    param.type = param_type_from(info.name, fn->params[p].type);
    param.has_default = extras[p].has_default;
    param.default_text = extras[p].default_text;
    param.variadic = extras[p].variadic;
    sig.params.push_back(std::move(param));
  }
  const auto* rt = ast::dyn_cast<ast::NamedType>(fn->return_type);
  if (rt && rt->name == "none")
    sig.result_none = true;
  else
    sig.result = param_type_from(info.name, fn->return_type);
  return sig;
}

}  // namespace

std::string_view param_type_name(ParamType t) {
  switch (t) {
    case ParamType::Tensor:
      return "Tensor";
    case ParamType::Int:
      return "int";
    case ParamType::Float:
      return "float";
    case ParamType::Bool:
      return "bool";
    case ParamType::String:
      return "string";
    case ParamType::Shape:
      return "Shape";
    case ParamType::Model:
      return "Model";
    case ParamType::Map:
      return "Map";
    case ParamType::Any:
      return "any";
  }
  return "any";
}

const std::vector<BuiltinSignature>& builtin_signatures() {
  // Parsed once, on first use; immutable afterwards (a constant table, not mutable state).
  static const std::vector<BuiltinSignature> table = [] {
    std::vector<BuiltinSignature> out;
    out.reserve(kBuiltinCount);
    for (const BuiltinInfo& info : kBuiltinTable) out.push_back(parse_signature(info));
    return out;
  }();
  return table;
}

const BuiltinSignature& builtin_signature(Builtin b) {
  return builtin_signatures()[static_cast<size_t>(b)];
}

bool accepts(ParamType p, const Type& t) {
  if (t.is_unknown()) return true;
  switch (p) {
    case ParamType::Any:
      return true;
    case ParamType::Tensor:  // a path without the file's header may name a tensor
      return t.is_tensor() || (t.is(TypeKind::ModelPath) && !t.model);
    case ParamType::Int:
      return t.is(TypeKind::Int);
    case ParamType::Float:
      return t.is_number();
    case ParamType::Bool:
      return t.is(TypeKind::Bool);
    case ParamType::String:
      return t.is(TypeKind::String);
    case ParamType::Shape:
      return t.is(TypeKind::Shape);
    case ParamType::Model:  // a path value (`m.blk[0]`) is a model of its names
      return t.is(TypeKind::Model) || t.is(TypeKind::ModelPath);
    case ParamType::Map:
      return t.is(TypeKind::Map);
  }
  return true;
}

}  // namespace tl::sema
