// The checker's results API: builtin signatures, expression types, the symbol table, call
// bindings (hover), run-time checks, imports and the model-header cache.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "compiler/sema/builtin_sigs.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"
#include "vm/model/model.h"

namespace tl::sema {
namespace {

namespace fs = std::filesystem;

struct Checked {
  SourceManager sources;
  std::unique_ptr<AnalysisContext> ctx;
  std::unique_ptr<ast::SyntaxTree> tree;
  std::unique_ptr<Analysis> a;
  uint32_t offset(std::string_view needle, size_t skip = 0) const {
    size_t at = tree->source().text().find(needle);
    EXPECT_NE(at, std::string_view::npos) << needle;
    return static_cast<uint32_t>(at + skip);
  }
};

std::unique_ptr<Checked> check(const std::string& text, const std::string& path = "test.tl") {
  auto c = std::make_unique<Checked>();
  c->ctx = std::make_unique<AnalysisContext>(c->sources);
  c->tree = parse(c->sources.add(path, text));
  c->a = analyze(*c->tree, *c->ctx);
  return c;
}

TEST(BuiltinSignatures, EveryRowOfTheTableParses) {
  const auto& sigs = builtin_signatures();
  ASSERT_EQ(sigs.size(), kBuiltinCount);
  const auto& softmax = builtin_signature(Builtin::Softmax);
  ASSERT_EQ(softmax.params.size(), 2u);
  EXPECT_EQ(softmax.params[0].name, "x");
  EXPECT_EQ(softmax.params[0].type, ParamType::Tensor);
  EXPECT_TRUE(softmax.params[1].has_default);
  EXPECT_EQ(softmax.params[1].default_text, "-1");
  EXPECT_EQ(softmax.result, ParamType::Tensor);
  const auto& concat = builtin_signature(Builtin::Concat);
  EXPECT_TRUE(concat.params[0].variadic);
  EXPECT_FALSE(concat.params[1].variadic);
  EXPECT_TRUE(builtin_signature(Builtin::Print).result_none);
  EXPECT_EQ(builtin_signature(Builtin::Assert).params[1].default_text, "\"assertion failed\"");
}

TEST(Results, ExpressionTypesAndHoverAtACall) {
  auto c = check(
      R"(fn forward(input: float16[N, D_in], weights: float16[D_in, D_out]) -> float16[N, D_out] {
    input @ weights
}
let X = tensor<float16>([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [1.0, 1.0, 1.0]], device: gpu)
let W = tensor<float16>([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], device: cpu)
let y = forward(X, W)
)");
  ASSERT_TRUE(c->a->diagnostics.empty()) << c->a->diagnostics[0].message;
  const ast::Expr* call = c->a->expr_at(c->offset("forward(X"));
  ASSERT_NE(call, nullptr);
  // The innermost expression at `forward` is the callee; its parent call has the result type.
  const ast::Expr* whole = c->a->expr_at(c->offset("(X, W)", 1));
  EXPECT_EQ(c->a->type_of(whole).to_string(), "float16[4, 3]");  // X
  std::string hover = c->a->hover(c->offset("forward(X", 7));
  EXPECT_EQ(hover, "forward(...) -> float16[4, 2] with N = 4, D_in = 3, D_out = 2");
  // The call's bindings are available directly.
  const ast::Expr* y_init = nullptr;
  ast::walk(c->tree->module(), [&](const ast::Node* n) {
    if (const auto* cl = ast::dyn_cast<ast::Call>(n))
      if (const auto* id = ast::dyn_cast<ast::Ident>(cl->callee); id && id->name == "forward")
        y_init = cl;
    return true;
  });
  ASSERT_NE(y_init, nullptr);
  const CallInfo* info = c->a->call_info(y_init);
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->callee, CallInfo::Callee::Function);
  ASSERT_EQ(info->bindings.size(), 3u);
  EXPECT_EQ(info->bindings[0].name, "N");
  EXPECT_EQ(info->bindings[0].value.value, 4);
  EXPECT_EQ(c->a->type_of(y_init).to_string(), "float16[4, 2]");
}

TEST(Results, SymbolTableDefinitionsAndReferences) {
  auto c = check("let a = 1\nlet b = a + 2\nif b > 2 {\n  let a = 5\n  print(a)\n}\nprint(a, b)\n");
  ASSERT_TRUE(c->a->diagnostics.empty());
  SymbolId outer = c->a->symbol_at(c->offset("a = 1"));
  ASSERT_NE(outer, kNoSymbol);
  EXPECT_EQ(c->a->symbols[outer].kind, SymbolKind::Variable);
  EXPECT_TRUE(c->a->symbols[outer].global);
  auto refs = c->a->references_to(outer);
  ASSERT_EQ(refs.size(), 2u);  // `a + 2` and `print(a, b)`: not the inner `a`
  SymbolId inner = c->a->symbol_at(c->offset("print(a)", 6));
  ASSERT_NE(inner, kNoSymbol);
  EXPECT_NE(inner, outer);
  EXPECT_EQ(c->a->symbols[inner].name_range.begin, c->offset("a = 5"));
  EXPECT_EQ(c->a->symbol_at(c->offset("print(a, b)", 6)), outer);
  EXPECT_EQ(c->a->hover(c->offset("b > 2")), "variable b: int");
}

TEST(Results, FunctionsAreHoistedAndDescribed) {
  auto c = check(
      "let y = twice(tensor<float16>([1.0, 2.0]))\nfn twice(x: float16[N]) -> float16[N] {\n  x * "
      "2.0\n}\n");
  ASSERT_TRUE(c->a->diagnostics.empty()) << c->a->diagnostics[0].message;
  SymbolId f = c->a->symbol_at(c->offset("twice("));
  ASSERT_NE(f, kNoSymbol);
  EXPECT_EQ(c->a->symbols[f].kind, SymbolKind::Function);
  EXPECT_EQ(c->a->hover(c->offset("twice(x")), "fn twice(x: float16[N]) -> float16[N]");
  SymbolId y = c->a->symbol_at(c->offset("y ="));
  EXPECT_EQ(c->a->symbols[y].type.to_string(), "float16[2]");
}

TEST(Results, RuntimeChecksForUnknownDims) {
  auto c = check(R"(fn f(a: float16[N, 3], b: float16[N]) -> float16[N] {
  sum(a, 1) + b
}
let m = load_model("missing.safetensors")
let w = m.get_tensor("w")
let v: float16[4] = m.get_tensor("v")
let r = f(w, v)
)");
  // The missing file is a warning; shapes from it are checked at run time.
  ASSERT_EQ(c->a->diagnostics.size(), 1u);
  EXPECT_EQ(c->a->diagnostics[0].code, DiagCode::W0501);
  ASSERT_EQ(c->a->runtime_checks.size(), 3u);
  const RuntimeCheck& ann = c->a->runtime_checks[0];
  ASSERT_EQ(ann.dims.size(), 1u);
  EXPECT_EQ(ann.dims[0].kind, ExpectedDim::Kind::Const);
  EXPECT_EQ(ann.dims[0].value, 4);
  const RuntimeCheck& arg = c->a->runtime_checks[1];  // `w` against float16[N, 3]
  ASSERT_EQ(arg.dims.size(), 2u);
  EXPECT_EQ(arg.dims[0].kind, ExpectedDim::Kind::Any);  // binds N
  EXPECT_EQ(arg.dims[1].kind, ExpectedDim::Kind::Const);
  EXPECT_NE(arg.message.find("argument `a` of `f`"), std::string::npos);
  EXPECT_TRUE(arg.rank_unknown);
  // `v` is float16[4], but N was bound by `w`, whose shape is known only at run time.
  const RuntimeCheck& n = c->a->runtime_checks[2];
  ASSERT_EQ(n.dims.size(), 1u);
  EXPECT_FALSE(n.rank_unknown);
  EXPECT_EQ(n.dims[0].kind, ExpectedDim::Kind::SameAs);
  EXPECT_EQ(n.dims[0].expr_id, arg.expr_id);
  EXPECT_EQ(n.dims[0].dim, 0u);
  EXPECT_NE(n.dims[0].message.find("size `N` of `f` differs between argument `a` (dimension 0) "
                                   "and argument `b` (dimension 0)"),
            std::string::npos)
      << n.dims[0].message;
}

TEST(Results, EntryChecksOnlyForFunctionsUsedAsValues) {
  auto c = check(R"(fn f(a: float16[N, 3], b: float16[N]) -> float16[N] {
  sum(a, 1) + b
}
fn g(x: float16[2]) {
  x
}
let h = f
let r = g(ones(2))
)");
  ASSERT_TRUE(c->a->diagnostics.empty()) << c->a->diagnostics[0].message;
  ASSERT_EQ(c->a->runtime_checks.size(), 2u);  // `a` and `b` of `f`; nothing for `g`
  for (const RuntimeCheck& rc : c->a->runtime_checks) {
    EXPECT_EQ(rc.site, RuntimeCheck::Site::Entry);
    EXPECT_EQ(c->a->symbols[c->a->functions[rc.function].symbol].name, "f");
  }
  const RuntimeCheck& b = c->a->runtime_checks[1];
  EXPECT_EQ(b.param, 1u);
  ASSERT_EQ(b.dims.size(), 1u);
  EXPECT_EQ(b.dims[0].kind, ExpectedDim::Kind::SameAsParam);
  EXPECT_EQ(b.dims[0].param, 0u);
  EXPECT_EQ(b.dims[0].dim, 0u);
}

TEST(Results, ModelHeaderGivesStaticShapes) {
  fs::path dir = fs::path(TL_TESTS_DIR) / "sema" / "cases";
  auto c =
      check("let m = load_model(\"../models/tiny_llama.gguf\")\nlet q = m.blk[0].attn_q.weight\n",
            (dir / "api.tl").string());
  ASSERT_TRUE(c->a->diagnostics.empty()) << c->a->diagnostics[0].message;
  SymbolId q = c->a->symbol_at(c->offset("q ="));
  EXPECT_EQ(c->a->symbols[q].type.to_string(), "float16[4, 4]");
  SymbolId m = c->a->symbol_at(c->offset("m ="));
  ASSERT_NE(c->a->symbols[m].type.model, nullptr);
  EXPECT_EQ(c->a->symbols[m].type.model->tensors.size(), 8u);
}

TEST(Imports, DeclarationsAreVisibleAndCyclesReported) {
  fs::path dir = fs::temp_directory_path() / ("tl_sema_import_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto write = [&](const char* name, const char* text) { std::ofstream(dir / name) << text; };
  write(
      "lib.tl",
      "fn double(x: float16[N]) -> float16[N] { x * 2.0 }\ntensor bias: float16[2] = [1.0, 2.0]\n");
  write("a.tl", "import \"b.tl\"\nfn fa() { 1 }\n");
  write("b.tl", "import \"a.tl\"\nfn fb() { 2 }\n");
  {
    auto c = check("import \"lib.tl\"\nlet y = double(bias)\n", (dir / "main.tl").string());
    ASSERT_TRUE(c->a->diagnostics.empty()) << c->a->diagnostics[0].message;
    SymbolId y = c->a->symbol_at(c->offset("y ="));
    EXPECT_EQ(c->a->symbols[y].type.to_string(), "float16[2]");
    SymbolId d = c->a->symbol_at(c->offset("double("));
    ASSERT_NE(d, kNoSymbol);
    EXPECT_TRUE(c->a->symbols[d].imported);
  }
  {
    auto c = check("import \"a.tl\"\n", (dir / "main.tl").string());
    bool cycle = false;
    for (const auto& d : c->a->diagnostics) cycle |= d.code == DiagCode::E0305;  // via a.tl
    EXPECT_TRUE(cycle);
  }
  {
    SourceManager sources;
    AnalysisContext ctx(sources);
    std::string why;
    auto tree = parse(sources.load((dir / "a.tl").string(), &why));
    auto a = analyze(*tree, ctx);
    ASSERT_FALSE(a->diagnostics.empty());
    EXPECT_EQ(a->diagnostics[0].code, DiagCode::E0305);
    EXPECT_NE(a->diagnostics[0].message.find("a.tl -> b.tl -> a.tl"), std::string::npos)
        << a->diagnostics[0].message;
  }
  fs::remove_all(dir);
}

// Operator and postfix chains are legal at any length: the checker walks them iteratively.
TEST(Robustness, LongChainsDoNotExhaustTheStack) {
  auto repeat = [](std::string_view s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  };
  const int n = 200000;
  auto sums = check("let x = 1" + repeat(" + 1", n) + "\n");
  EXPECT_TRUE(sums->a->diagnostics.empty());
  auto methods = check("let x = zeros(2)" + repeat(".relu()", n) + "\nlet y: float16[2] = x\n");
  EXPECT_TRUE(methods->a->diagnostics.empty());
  auto members = check("let m = load_model(\"missing.gguf\")\nlet x = m" + repeat(".b", n) + "\n");
  EXPECT_EQ(members->a->diagnostics.size(), 1u);  // W0501: the file is missing
  auto indices = check("let x = zeros(2)" + repeat("[0]", n) + "\n");
  EXPECT_FALSE(indices->a->diagnostics.empty());  // E0413: too many indices, once
  EXPECT_NE(sums->a->expr_at(sums->offset("+ 1", 2)), nullptr);
}

}  // namespace
}  // namespace tl::sema
