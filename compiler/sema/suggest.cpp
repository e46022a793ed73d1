#include "compiler/sema/suggest.h"

#include "vm/core/suggest.h"

namespace tl::sema {

std::vector<std::string> closest(std::string_view name,
                                 const std::vector<std::string>& candidates) {
  return closest_names(name, candidates, 3);  // the one definition, shared with model I/O
}

std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) s += i + 1 == names.size() ? " or " : ", ";
    s += "`" + names[i] + "`";
  }
  return s;
}

}  // namespace tl::sema
