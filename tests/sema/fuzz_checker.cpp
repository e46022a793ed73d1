// libFuzzer target: any bytes parse and check without a crash, hang or sanitizer report, and the
// editor queries work at every offset. Model headers are not read (no file access).
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tl::SourceManager sm;
  tl::sema::AnalysisContext ctx(sm);
  tl::sema::AnalysisOptions options;
  options.read_model_headers = false;
  auto tree = tl::parse(sm.add("fuzz.tl", std::string(reinterpret_cast<const char*>(data), size)));
  auto a = tl::sema::analyze(*tree, ctx, options);
  for (const tl::Diagnostic& d : a->diagnostics) (void)tl::render_text(d, sm, false);
  for (uint32_t off = 0; off < size; off += 7) (void)a->hover(off);
  return 0;
}
