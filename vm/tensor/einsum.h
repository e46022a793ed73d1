// einsum subscripts ("bhqd,bhkd->bhqk"), parsed once for the checker (which binds each letter to a
// size) and the VM (which lowers the contraction onto permute, reduce and matmul).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tl {

struct EinsumSpec {
  std::vector<std::string> inputs;  // one term of letters per operand
  std::string output;               // explicit after "->", else the letters used once, sorted
};

// Throws RuntimeError for malformed subscripts, a term count other than `operands`, repeated
// letters within one term, an output letter no input has, or `...` (not supported).
EinsumSpec parse_einsum(std::string_view subscripts, size_t operands);

}  // namespace tl
