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

// A PyTorch or NumPy spelling and its TL equivalent (docs/pytorch.md): consulted before edit
// distance, which would answer `cat` with `max` and `size` with `silu`.
struct ForeignName {
  std::string_view name;
  std::string_view rename;  // the TL name when a rename fixes the call (`cat` -> `concat`), or ""
  std::string_view advice;  // the note: "`torch.cat` is `concat(a, b, dim: 0)` in TL"
};
const ForeignName* foreign_name(std::string_view name);
// `torch`, `np`, `numpy`, `F`, `math`: a prefix that `torch.softmax(x)` drops (W0304) when the
// name is not a variable and what follows is a builtin.
bool is_module_prefix(std::string_view name);

}  // namespace tl::sema
