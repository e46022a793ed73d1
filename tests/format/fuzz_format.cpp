// libFuzzer target: for any bytes that parse, formatting must keep the meaning (same_meaning),
// give text that parses, and be idempotent; the linter must not crash. A violation aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "compiler/syntax/parser.h"
#include "formatter/format.h"
#include "formatter/lint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tl::SourceManager sm;
  auto tree = tl::parse(sm.add("fuzz.tl", std::string(reinterpret_cast<const char*>(data), size)));
  if (tree->has_errors()) return 0;
  (void)tl::lint::lint(*tree);
  std::string once = tl::format::format_tree(*tree);
  auto again = tl::parse(sm.add("fuzz.formatted.tl", once));
  if (again->has_errors() || !tl::format::same_meaning(*tree, *again)) std::abort();
  if (tl::format::format_tree(*again) != once) std::abort();
  return 0;
}
