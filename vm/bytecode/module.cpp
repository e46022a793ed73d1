#include "vm/bytecode/module.h"

#include <fmt/format.h>

namespace tl {

std::string Module::position(uint32_t fn, uint32_t pc) const {
  if (fn < functions.size()) {
    const Proto& p = functions[fn];
    if (pc < p.lines.size() && p.lines[pc].line != 0) {
      std::string file = p.source < sources.size() ? sources[p.source] : std::string("<unknown>");
      return fmt::format("{}:{}:{}", file, p.lines[pc].line, p.lines[pc].col);
    }
    return fmt::format("<{}>+{}", p.name, pc);
  }
  return "<unknown>";
}

}  // namespace tl
