// The checker's results API: builtin signatures, expression types, the symbol table, call
// bindings (hover), run-time checks, imports and the model-header cache.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "compiler/sema/builtin_sigs.h"
#include "compiler/sema/checker.h"
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

// --- specializations (docs/ARCHITECTURE.md, "Specializations") ---------------------------------

// The expression that starts with `needle` and spans all of it (the outermost one there).
const ast::Expr* expr_spanning(const Checked& c, std::string_view needle) {
  const uint32_t at = c.offset(needle);
  const ast::Expr* best = nullptr;
  ast::walk(c.tree->module(), [&](const ast::Node* n) {
    if (const auto* e = ast::dyn_cast<ast::Expr>(n);
        e && e->range.begin == at && e->range.size() == needle.size())
      best = e;
    return true;
  });
  EXPECT_NE(best, nullptr) << needle;
  return best;
}

// The type of the symbol declared at `decl` ("y =").
std::string symbol_type(const Checked& c, std::string_view decl) {
  return c.a->symbols[c.a->symbol_at(c.offset(decl))].type.to_string();
}

size_t count_symbols(const Analysis& a, std::string_view name) {
  return static_cast<size_t>(std::count_if(a.symbols.begin(), a.symbols.end(),
                                           [&](const Symbol& s) { return s.name == name; }));
}

TEST(Specializations, TheBodyIsCheckedWithTheCallsShapes) {
  auto c = check("fn f(x) {\n    let h = x @ ones(3, 5)\n    return h\n}\nlet y = f(ones(2, 3))\n");
  ASSERT_TRUE(c->a->diagnostics.empty()) << c->a->diagnostics[0].message;
  ASSERT_EQ(c->a->specializations.size(), 1u);
  const Specialization& sp = c->a->specializations[0];
  EXPECT_EQ(sp.params[0].to_string(), "float16[2, 3]");
  EXPECT_EQ(sp.result.to_string(), "float16[2, 5]");
  const ast::Expr* product = expr_spanning(*c, "x @ ones(3, 5)");
  auto types = c->a->specialized_types(product);
  ASSERT_EQ(types.size(), 1u);
  EXPECT_EQ(types[0].type.to_string(), "float16[2, 5]");
  EXPECT_EQ(types[0].call.begin, c->offset("f(ones(2, 3))"));
  // The generic results stay as they were: the compiler and the symbol queries read them.
  EXPECT_EQ(c->a->type_of(product).to_string(), "unknown");
  EXPECT_EQ(count_symbols(*c->a, "h"), 1u);
  EXPECT_EQ(count_symbols(*c->a, "x"), 1u);
  EXPECT_EQ(c->a->references_to(c->a->symbol_at(c->offset("h ="))).size(), 1u);
  EXPECT_TRUE(c->a->runtime_checks.empty());
}

TEST(Specializations, TheResultTypeComesFromTheSpecializedBody) {
  auto c =
      check("fn f(x) {\n    x @ ones(3, 5)\n}\nlet y = f(ones(2, 3))\nlet z = f(ones(4, 3))\n");
  ASSERT_TRUE(c->a->diagnostics.empty()) << c->a->diagnostics[0].message;
  EXPECT_EQ(symbol_type(*c, "y ="), "float16[2, 5]");
  EXPECT_EQ(symbol_type(*c, "z ="), "float16[4, 5]");
  EXPECT_EQ(c->a->type_of(expr_spanning(*c, "f(ones(2, 3))")).to_string(), "float16[2, 5]");
  // The function's own (generic) result is what its body yields for any argument.
  EXPECT_EQ(c->a->functions[0].result.to_string(), "unknown");
  EXPECT_EQ(c->a->hover(c->offset("f(ones(2, 3))", 1)), "f(...) -> float16[2, 5]");
}

TEST(Specializations, MemoizedByTheArgumentTypes) {
  auto c = check(
      "fn f(x) {\n    x * 2.0\n}\nlet a = f(ones(2, 3))\nlet b = f(ones(2, 3))\n"
      "let c = f(zeros(2, 3))\nlet d = f(ones(4, 3))\nlet e = f(ones(4, 3))\n");
  ASSERT_TRUE(c->a->diagnostics.empty()) << c->a->diagnostics[0].message;
  ASSERT_EQ(c->a->specializations.size(), 2u);  // [2, 3] (three calls) and [4, 3] (two)
  EXPECT_EQ(c->a->specializations[0].call.begin, c->offset("f(ones(2, 3))"));
  EXPECT_EQ(c->a->specializations[1].call.begin, c->offset("f(ones(4, 3))"));
  EXPECT_EQ(symbol_type(*c, "b ="), "float16[2, 3]");
  EXPECT_EQ(symbol_type(*c, "e ="), "float16[4, 3]");
}

TEST(Specializations, NoneWhenTheSignatureNamesEverySize) {
  // Size variables bound at the call are the generic check's business (checked once for all
  // sizes): no specialization, as in bench/sema's program.
  auto c = check(
      "fn layer(x: float16[N, D], w: float16[H, D]) -> float16[N, H] {\n    linear(x, w)\n}\n"
      "let y = layer(ones(2, 4), ones(3, 4))\nfn count(n: int) {\n    zeros(n)\n}\n"
      "let z = count(3)\n");
  ASSERT_TRUE(c->a->diagnostics.empty()) << c->a->diagnostics[0].message;
  EXPECT_TRUE(c->a->specializations.empty());
  EXPECT_EQ(symbol_type(*c, "y ="), "float16[2, 3]");
}

TEST(Specializations, RecursionEndsAndEachFunctionHasFew) {
  // Each call level has new argument types (the shape doubles): the nesting limit ends it.
  auto grow = check(
      "fn grow(x, n: int) {\n    if n <= 0 {\n        return x\n    }\n"
      "    return grow(concat(x, x), n - 1)\n}\nlet b = grow(ones(2), 100)\n");
  ASSERT_TRUE(grow->a->diagnostics.empty()) << grow->a->diagnostics[0].message;
  EXPECT_GE(grow->a->specializations.size(), 2u);
  EXPECT_LE(grow->a->specializations.size(), 8u);
  // The same types again while they are being checked (an int's value is not one of them): the
  // generic result, no new one.
  auto same = check(
      "fn down(x, n: int) {\n    if n <= 0 {\n        return x\n    }\n"
      "    return down(x, n - 1)\n}\nlet a = down(ones(2, 3), 3)\n");
  ASSERT_TRUE(same->a->diagnostics.empty()) << same->a->diagnostics[0].message;
  EXPECT_EQ(same->a->specializations.size(), 1u);
  // Twenty calls with twenty shapes: eight specializations, the rest get the generic result.
  std::string text = "fn f(x) {\n    x\n}\n";
  for (int i = 1; i <= 20; ++i)
    text += "let v" + std::to_string(i) + " = f(ones(" + std::to_string(i) + "))\n";
  auto many = check(text);
  ASSERT_TRUE(many->a->diagnostics.empty()) << many->a->diagnostics[0].message;
  EXPECT_EQ(many->a->specializations.size(), 8u);
  EXPECT_EQ(symbol_type(*many, "v8 ="), "float16[8]");
  EXPECT_EQ(symbol_type(*many, "v9 ="), "unknown");
}

TEST(Specializations, BoundedInAllOnALargeProgram) {
  // 2,000 functions called with eight shapes each would specialize 16,000 bodies: the budget
  // (the file's own expressions plus a constant) stops them.
  std::string text;
  for (int f = 0; f < 2000; ++f) {
    text += "fn f" + std::to_string(f) +
            "(x) {\n    let y = relu(x) * 2.0 + x - exp(x) * sigmoid(x) / (x + 1.0)\n"
            "    let z = y * y - tanh(y) + softmax(y, dim: -1) * 0.5 - x\n    z\n}\n";
    for (int s = 1; s <= 8; ++s)
      text += "let v" + std::to_string(f) + "_" + std::to_string(s) + " = f" + std::to_string(f) +
              "(ones(" + std::to_string(s) + "))\n";
  }
  auto c = check(text);
  ASSERT_TRUE(c->a->diagnostics.empty()) << c->a->diagnostics[0].message;
  size_t checked = 0;
  for (const Specialization& sp : c->a->specializations) checked += sp.types.size();
  EXPECT_GT(c->a->specializations.size(), 100u);
  EXPECT_LT(c->a->specializations.size(), 16000u);
  EXPECT_LE(checked, c->tree->expr_count() + kSpecializationBudgetBase);
}

TEST(Specializations, ADiagnosticIsReportedOnceWithNotesAtTheCalls) {
  auto c = check(
      "fn mix(a, b) {\n    return a + b\n}\nfn outer(a) {\n    mix(a, ones(4, 3))\n}\n"
      "let one = outer(ones(2, 3))\nlet two = outer(ones(2, 3))\nlet three = mix(ones(2, 3), "
      "ones(4, 3))\n");
  ASSERT_EQ(c->a->diagnostics.size(), 1u);
  const Diagnostic& d = c->a->diagnostics[0];
  EXPECT_EQ(d.code, DiagCode::E0402);
  EXPECT_EQ(d.range.begin, c->offset("+ b"));
  // The chain of calls, innermost first, as clang's "in instantiation of ... requested here".
  ASSERT_GE(d.notes.size(), 2u);
  const DiagNote& inner = d.notes[d.notes.size() - 2];
  const DiagNote& outer = d.notes.back();
  EXPECT_EQ(inner.range.begin, c->offset("mix(a, ones(4, 3))"));
  EXPECT_EQ(inner.message, "in `mix` called here with a: float16[2, 3], b: float16[4, 3]");
  EXPECT_EQ(outer.range.begin, c->offset("outer(ones(2, 3))"));
  EXPECT_EQ(outer.message, "in `outer` called here with a: float16[2, 3]");
}

TEST(Specializations, HoverShowsTheTypesOfTheCalls) {
  auto c = check(
      "fn f(x) {\n    let h = x @ ones(3, 5)\n    return h\n}\nlet y = f(ones(2, 3))\n"
      "fn g(x) {\n    let k = x * 2.0\n    return k\n}\nlet a = g(ones(2, 3))\n"
      "let b = g(ones(4, 3))\n");
  ASSERT_TRUE(c->a->diagnostics.empty()) << c->a->diagnostics[0].message;
  // One call (or all calls agreeing): its type.
  EXPECT_EQ(c->a->hover(c->offset("h =")), "variable h: float16[2, 5]");
  EXPECT_EQ(c->a->hover(c->offset("h\n}")), "variable h: float16[2, 5]");
  // Calls that differ: what they have in common, then each one's.
  EXPECT_EQ(c->a->hover(c->offset("k =")),
            "variable k: float16[?, 3] (by call: float16[2, 3] | float16[4, 3])");
  EXPECT_EQ(c->a->shown_type(c->a->symbol_at(c->offset("k ="))).to_string(), "float16[?, 3]");
}

// A call whose argument types were checked before, at another call, reuses that check; hover
// counts it as that check's call, not as the vaguer check of the same call in its function's
// generic body (docs/examples/llama.tl: `forward` from `warm_up`, then from `generate`).
TEST(Specializations, ACallThatReusesACheckIsShownWithIt) {
  auto c = check(
      "fn inner(x) {\n    let h = x * 2.0\n    return h\n}\n"
      "fn outer(x: float16[?, 3]) {\n    return inner(x)\n}\n"
      "let a = inner(ones(2, 3))\nlet b = outer(ones(2, 3))\n");
  ASSERT_TRUE(c->a->diagnostics.empty()) << c->a->diagnostics[0].message;
  const Specialization* first = nullptr;
  for (const Specialization& sp : c->a->specializations)
    if (sp.call.begin == c->offset("inner(ones(2, 3))")) first = &sp;
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(first->later_calls.size(), 1u);
  EXPECT_EQ(first->later_calls[0].begin, c->offset("inner(x)\n}"));
  EXPECT_EQ(c->a->hover(c->offset("h =")), "variable h: float16[2, 3]");
  EXPECT_EQ(symbol_type(*c, "b ="), "float16[2, 3]");
}

}  // namespace
}  // namespace tl::sema
