#include "vm/runtime/program_args.h"

#include <algorithm>

namespace tl {

SplitCommandLine split_program_args(std::span<const std::string> words,
                                    std::span<const std::string_view> driver_options,
                                    std::span<const std::string_view> driver_flags) {
  auto driver_option = [&](std::string_view w, bool& takes_next) {
    for (std::string_view o : driver_options) {
      if (w == o) return takes_next = true;
      if (w.size() > o.size() && w.starts_with(o) && w[o.size()] == '=')
        return !(takes_next = false);
    }
    return false;
  };
  SplitCommandLine out;
  bool after_file = false;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    bool takes_next = false;
    if (after_file && w == "--") {
      out.before_dashes = out.program.size();
      out.program.insert(out.program.end(), words.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                         words.end());
      break;
    }
    if (driver_option(w, takes_next)) {
      out.driver.push_back(w);
      if (takes_next && i + 1 < words.size()) out.driver.push_back(words[++i]);
      continue;
    }
    if (after_file &&
        std::find(driver_flags.begin(), driver_flags.end(), w) != driver_flags.end()) {
      out.driver.push_back(w);
      continue;
    }
    if (after_file) {
      out.program.push_back(w);
      out.before_dashes = out.program.size();
      continue;
    }
    out.driver.push_back(w);
    if (!w.starts_with("-") || w == "-") after_file = true;
  }
  return out;
}

}  // namespace tl
