#include "vm/tensor/einsum.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "vm/core/error.h"

namespace tl {

EinsumSpec parse_einsum(std::string_view subscripts, size_t operands) {
  std::string s;
  for (char c : subscripts)
    if (c != ' ') s += c;
  if (s.find("...") != std::string::npos)
    throw RuntimeError("einsum: `...` (broadcast dims) is not supported; name every dim");
  EinsumSpec spec;
  const size_t arrow = s.find("->");
  const std::string lhs = s.substr(0, arrow);
  size_t start = 0;
  for (;;) {
    const size_t comma = lhs.find(',', start);
    spec.inputs.push_back(lhs.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (spec.inputs.size() != operands)
    throw RuntimeError(fmt::format("einsum: \"{}\" names {} operand{} but {} {} given", subscripts,
                                   spec.inputs.size(), spec.inputs.size() == 1 ? "" : "s", operands,
                                   operands == 1 ? "is" : "are"));
  std::map<char, int> uses;
  for (const std::string& term : spec.inputs)
    for (size_t i = 0; i < term.size(); ++i) {
      const char c = term[i];
      if (!std::isalpha(static_cast<unsigned char>(c)))
        throw RuntimeError(fmt::format("einsum: '{}' in \"{}\" is not a letter", c, subscripts));
      if (term.find(c, i + 1) != std::string::npos)
        throw RuntimeError(fmt::format(
            "einsum: '{}' appears twice in the term \"{}\" (diagonals are not supported)", c,
            term));
      ++uses[c];
    }
  if (arrow == std::string::npos) {
    for (const auto& [c, n] : uses)
      if (n == 1) spec.output += c;
    return spec;
  }
  spec.output = s.substr(arrow + 2);
  for (size_t i = 0; i < spec.output.size(); ++i) {
    const char c = spec.output[i];
    if (!uses.count(c))
      throw RuntimeError(
          fmt::format("einsum: output letter '{}' appears in no input of \"{}\"", c, subscripts));
    if (spec.output.find(c, i + 1) != std::string::npos)
      throw RuntimeError(fmt::format("einsum: '{}' appears twice in the output", c));
  }
  return spec;
}

}  // namespace tl
