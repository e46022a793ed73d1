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

std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out) {
  std::vector<int64_t> st(out.rank(), 0);
  const std::vector<int64_t> own = s.strides();
  const size_t lead = out.rank() - s.rank();
  for (size_t i = 0; i < s.rank(); ++i) st[lead + i] = s[i] == 1 ? 0 : own[i];
  return st;
}

void coalesce(std::vector<int64_t>& dims, std::vector<std::vector<int64_t>*> strides) {
  std::vector<int64_t> nd;
  std::vector<std::vector<int64_t>> ns(strides.size());
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 1) continue;
    bool merge = !nd.empty();
    for (size_t k = 0; merge && k < strides.size(); ++k)
      merge = ns[k].back() == (*strides[k])[d] * dims[d];
    if (merge) {
      nd.back() *= dims[d];
      for (size_t k = 0; k < strides.size(); ++k) ns[k].back() = (*strides[k])[d];
    } else {
      nd.push_back(dims[d]);
      for (size_t k = 0; k < strides.size(); ++k) ns[k].push_back((*strides[k])[d]);
    }
  }
  dims = std::move(nd);
  for (size_t k = 0; k < strides.size(); ++k) *strides[k] = std::move(ns[k]);
}

RowView row_view(const Shape& s, int dim) {
  RowView v{1, s[dim], 1};
  for (int i = 0; i < dim; ++i) v.outer *= s[i];
  for (size_t i = dim + 1; i < s.rank(); ++i) v.inner *= s[i];
  return v;
}

}  // namespace tl::vk
