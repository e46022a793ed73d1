// Index arithmetic shared by the ops: 32-bit checks, dispatch sizes, row views.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "vm/tensor/shape.h"

namespace tl::vk {

// n as uint32 (kernels index with 32 bits); throws RuntimeError naming `what` when too large.
uint32_t u32(int64_t n, std::string_view what);
// Workgroups for n items at `per_group` items each, capped (kernels use grid-stride loops).
uint32_t groups(int64_t n, uint32_t per_group = 256);
// Broadcast strides and the coalescing of dims: tl::broadcast_strides and tl::coalesce_dims
// (vm/tensor/shape.h), shared with the CPU backend.

// A tensor seen as [outer, r, inner] around dimension `dim`.
struct RowView {
  int64_t outer, r, inner;
};
RowView row_view(const Shape& s, int dim);

}  // namespace tl::vk
