// "Did you mean" helpers for the checker's messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tl::sema {

// Up to 3 of `candidates` closest to `name` by edit distance, best first.
std::vector<std::string> closest(std::string_view name, const std::vector<std::string>& candidates);
// "`a`, `b` or `c`"
std::string join_names(const std::vector<std::string>& names);

}  // namespace tl::sema
