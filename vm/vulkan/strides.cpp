#include "vm/vulkan/strides.h"

#include <fmt/format.h>

#include <algorithm>

#include "vm/core/error.h"

namespace tl::vk {

uint32_t u32(int64_t n, std::string_view what) {
  if (n < 0 || n > int64_t{0xffffffff})
    throw RuntimeError(
        fmt::format("{}: {} elements is beyond the Vulkan backend's 32-bit indexing", what, n));
  return static_cast<uint32_t>(n);
}

uint32_t groups(int64_t n, uint32_t per_group) {
  return static_cast<uint32_t>(std::clamp<int64_t>((n + per_group - 1) / per_group, 1, 65535));
}

RowView row_view(const Shape& s, int dim) {
  RowView v{1, s[dim], 1};
  for (int i = 0; i < dim; ++i) v.outer *= s[i];
  for (size_t i = dim + 1; i < s.rank(); ++i) v.inner *= s[i];
  return v;
}

}  // namespace tl::vk
