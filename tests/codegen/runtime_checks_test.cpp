// The run-time shape checks in the bytecode are exactly the checker's `runtime_checks`.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/codegen/codegen.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"
#include "vm/bytecode/disasm.h"

namespace tl {
namespace {

namespace fs = std::filesystem;

struct Compiled {
  std::optional<Module> module;
  CompileStats stats;
  std::string diagnostics;
  std::string listing;
};

// The driver's pipeline (compiler/driver/frontend.cpp) without the driver.
Compiled compile_file(const fs::path& path) {
  SourceManager sources;
  sema::AnalysisContext context(sources);
  std::string why;
  auto file = sources.load(path.string(), &why);
  EXPECT_TRUE(file) << why;
  Compiled out;
  if (!file) return out;
  auto tree = parse(file);
  auto analysis = sema::analyze(*tree, context);
  DiagnosticSink sink;
  sink.append(tree->diagnostics());
  sink.append(analysis->diagnostics);
  if (!sink.has_errors()) {
    ImportResolver imports = [&](const ast::SyntaxTree& from, std::string_view p) -> CheckedFile {
      std::error_code ec;
      fs::path full = fs::weakly_canonical(fs::path(from.source().path()).parent_path() / p, ec);
      bool cycle = false;
      auto* imported = context.import_file(full, {}, &why, &cycle);
      if (!imported) return {};
      return {imported->tree.get(), imported->analysis.get()};
    };
    out.module = compile_program({tree.get(), analysis.get()}, imports, sink, &out.stats);
  }
  for (const Diagnostic& d : sink.diagnostics()) out.diagnostics += render_text(d, sources, false);
  if (out.module) {
    std::ostringstream listing;
    disassemble(*out.module, listing);
    out.listing = listing.str();
  }
  return out;
}

Compiled compile_text(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / "tl_codegen_test";
  fs::create_directories(dir);
  const fs::path path = dir / name;
  std::ofstream(path) << text;
  return compile_file(path);
}

size_t count(const std::string& haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

// The disassembly of function `name` (up to the next function), or "" when it has none.
std::string function_listing(const std::string& listing, std::string_view name) {
  const size_t at = listing.find(fmt::format(" {} (", name));
  if (at == std::string::npos) return {};
  return listing.substr(at, listing.find("function ", at + 1) - at);
}

TEST(RuntimeChecks, EveryRequestedCheckIsEmittedForEveryProgramInTheRepo) {
  size_t programs = 0, checks = 0;
  for (const char* sub :
       {"tests/run/cases", "docs/examples", "tests/acceptance", "tests/sema/cases"}) {
    const fs::path dir = fs::path(TL_SOURCE_DIR) / sub;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (entry.path().extension() != ".tl") continue;
      Compiled c = compile_file(entry.path());
      if (!c.module) continue;  // programs with static errors have no bytecode
      ++programs;
      checks += c.stats.runtime_checks_requested;
      EXPECT_EQ(c.stats.runtime_checks_emitted, c.stats.runtime_checks_requested) << entry.path();
    }
  }
  EXPECT_GT(programs, 20u);
  EXPECT_GT(checks, 5u);  // the contract is exercised, not vacuous
}

TEST(RuntimeChecks, ProvenShapesCostNothingAtRunTime) {
  Compiled c =
      compile_text("proven.tl", R"(fn forward(x: float16[N, D], w: float16[D, M]) -> float16[N, M] {
    return x @ w
}
let y: float16[4, 2] = forward(ones(4, 3), ones(3, 2))
print(y)
)");
  ASSERT_TRUE(c.module) << c.diagnostics;
  EXPECT_EQ(c.stats.runtime_checks_requested, 0u);
  EXPECT_EQ(count(c.listing, "CHECKSHAPE"), 0u) << c.listing;
  EXPECT_EQ(count(c.listing, "assert"), 0u) << c.listing;
}

TEST(RuntimeChecks, UnknownArgumentsAreCheckedAtTheCall) {
  Compiled c =
      compile_text("call.tl", R"(fn forward(x: float16[N, 3], w: float16[3, M]) -> float16[N, M] {
    return x @ w
}
fn make(r: int, c: int) {
    return ones(r, c)
}
print(forward(make(2, 3), ones(3, 5)))
)");
  ASSERT_TRUE(c.module) << c.diagnostics;
  EXPECT_EQ(c.stats.runtime_checks_requested, 1u);
  EXPECT_EQ(c.stats.runtime_checks_emitted, 1u);
  EXPECT_EQ(count(c.listing, "CHECKSHAPE"), 1u) << c.listing;
  // In the script, at the argument; `forward` itself checks nothing (it does not escape).
  const std::string body = function_listing(c.listing, "forward");
  ASSERT_FALSE(body.empty()) << c.listing;
  EXPECT_EQ(body.find("CHECKSHAPE"), std::string::npos) << c.listing;
}

TEST(RuntimeChecks, SizeVariablesBoundByUnknownValuesAreCompared) {
  Compiled c =
      compile_text("sizes.tl", R"(fn dot(x: float16[N, D], w: float16[D, M]) -> float16[N, M] {
    return x @ w
}
fn make(r: int, c: int) {
    return ones(r, c)
}
print(dot(make(2, 3), make(3, 4)))
)");
  ASSERT_TRUE(c.module) << c.diagnostics;
  // The ranks are known (make returns float16[?, ?]): only D of w against D of x.
  EXPECT_EQ(c.stats.runtime_checks_requested, 1u);
  EXPECT_EQ(c.stats.runtime_checks_emitted, 1u);
  EXPECT_EQ(count(c.listing, "CHECKSHAPE"), 0u) << c.listing;
  EXPECT_NE(c.listing.find("size `D` of `dot` differs"), std::string::npos) << c.listing;
}

TEST(RuntimeChecks, EscapingFunctionsCheckTheirParametersOnEntry) {
  Compiled c =
      compile_text("escape.tl", R"(fn dot(x: float16[N, D], w: float16[D, M]) -> float16[N, M] {
    return x @ w
}
fn apply(f, a, b) {
    return f(a, b)
}
print(apply(dot, ones(2, 3), ones(3, 4)))
)");
  ASSERT_TRUE(c.module) << c.diagnostics;
  EXPECT_EQ(c.stats.runtime_checks_requested, 2u);  // x and w on entry to `dot`
  EXPECT_EQ(c.stats.runtime_checks_emitted, 2u);
  const std::string body = function_listing(c.listing, "dot");
  ASSERT_FALSE(body.empty()) << c.listing;
  EXPECT_EQ(count(body, "CHECKSHAPE"), 2u) << body;
  EXPECT_NE(body.find("size `D` of `dot` differs between `x` (dimension 1) and `w` (dimension 0)"),
            std::string::npos)
      << body;
}

}  // namespace
}  // namespace tl
