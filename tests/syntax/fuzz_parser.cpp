// libFuzzer target: any bytes must lex and parse without a crash, hang or sanitizer report, and
// the tree must stay walkable and dumpable.
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/syntax/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tl::SourceManager sm;
  auto tree = tl::parse(sm.add("fuzz.tl", std::string(reinterpret_cast<const char*>(data), size)));
  size_t nodes = 0;
  tl::ast::walk(tree->module(), [&](const tl::ast::Node*) {
    ++nodes;
    return true;
  });
  std::string dump = tl::ast::dump(*tree);
  for (const tl::Diagnostic& d : tree->diagnostics()) (void)tl::render_text(d, sm, false);
  return nodes > 0 && !dump.empty() ? 0 : 0;
}
