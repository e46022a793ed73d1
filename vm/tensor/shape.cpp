#include "vm/tensor/shape.h"

#include <fmt/format.h>

#include "vm/core/error.h"

namespace tl {

int64_t Shape::numel() const {
  int64_t nonzero = 1;
  bool empty = false;
  for (int64_t d : dims_) {
    if (d < 0) throw RuntimeError(fmt::format("negative dimension in shape {}", to_string()));
    if (d == 0) {
      empty = true;
      continue;
    }
    if (__builtin_mul_overflow(nonzero, d, &nonzero) || nonzero > kMaxTensorElements)
      throw RuntimeError(
          fmt::format("a tensor of shape {} is too large: one tensor may have at most 2^40 "
                      "elements (counting its nonzero dimensions)",
                      to_string()));
  }
  return empty ? 0 : nonzero;
}

std::vector<int64_t> Shape::strides() const {
  (void)numel();  // bounds every partial product below
  std::vector<int64_t> s(dims_.size());
  int64_t acc = 1;
  for (size_t i = dims_.size(); i-- > 0;) {
    s[i] = acc;
    acc *= dims_[i];
  }
  return s;
}

std::string Shape::to_string() const {
  return fmt::format("[{}]", fmt::join(dims_, ", "));
}

std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out) {
  std::vector<int64_t> st(out.rank(), 0);
  const std::vector<int64_t> own = s.strides();
  const size_t lead = out.rank() - s.rank();
  for (size_t i = 0; i < s.rank(); ++i) st[lead + i] = s[i] == 1 ? 0 : own[i];
  return st;
}

void coalesce_dims(std::vector<int64_t>& dims, std::span<std::vector<int64_t>* const> strides) {
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

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t rank = std::max(a.rank(), b.rank());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.rank() ? 1 : a[i - (rank - a.rank())];
    const int64_t db = i < rank - b.rank() ? 1 : b[i - (rank - b.rank())];
    if (da != db && da != 1 && db != 1)
      throw RuntimeError(
          fmt::format("operands of `{}` cannot be broadcast: {} and {} (dimension {} "
                      "is {} on the left and {} on the right)",
                      op, a.to_string(), b.to_string(), i, da, db));
    out[i] = da == 1 ? db : da;
  }
  return Shape(std::move(out));
}

Shape matmul_shape(const Shape& a, const Shape& b) {
  if (a.rank() == 0 || b.rank() == 0)
    throw RuntimeError(fmt::format("`@` needs tensors of rank 1 or more, got {} and {}",
                                   a.to_string(), b.to_string()));
  const int64_t k_a = a[a.rank() - 1];
  const int64_t k_b = b.rank() == 1 ? b[0] : b[b.rank() - 2];
  if (k_a != k_b)
    throw RuntimeError(fmt::format("inner dimensions of `@` differ: {} (from {}) vs {} (from {})",
                                   k_a, a.to_string(), k_b, b.to_string()));
  std::vector<int64_t> batch_a(a.dims().begin(), a.dims().end() - std::min<size_t>(a.rank(), 2));
  std::vector<int64_t> batch_b(b.dims().begin(), b.dims().end() - std::min<size_t>(b.rank(), 2));
  std::vector<int64_t> out = broadcast_shapes(Shape(batch_a), Shape(batch_b), "@").dims();
  if (a.rank() >= 2) out.push_back(a[a.rank() - 2]);
  if (b.rank() >= 2) out.push_back(b[b.rank() - 1]);
  return Shape(std::move(out));
}

int normalize_dim(int64_t dim, size_t rank) {
  const int64_t r = static_cast<int64_t>(rank);
  if (dim < -r || dim >= r)
    throw RuntimeError(fmt::format("dimension {} is out of range for a tensor of rank {}", dim, r));
  return static_cast<int>(dim < 0 ? dim + r : dim);
}

Shape reduce_shape(const Shape& s, std::optional<int> dim, bool keepdim) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < s.rank(); ++i) {
    const bool reduced = !dim || static_cast<int>(i) == *dim;
    if (!reduced)
      out.push_back(s[i]);
    else if (keepdim)
      out.push_back(1);
  }
  return Shape(std::move(out));
}

Shape resolve_reshape(const Shape& from, std::span<const int64_t> target) {
  std::vector<int64_t> out(target.begin(), target.end());
  int infer = -1;
  std::vector<int64_t> known_dims;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer >= 0) throw RuntimeError("reshape: only one dimension can be -1");
      infer = static_cast<int>(i);
    } else if (out[i] < 0) {
      throw RuntimeError(fmt::format("reshape: negative dimension {}", out[i]));
    } else {
      known_dims.push_back(out[i]);
    }
  }
  const int64_t known = Shape(std::move(known_dims)).numel();  // refuses an overflowing target
  if (infer >= 0) {
    if (known == 0 || from.numel() % known != 0)
      throw RuntimeError(fmt::format("cannot reshape {} ({} elements) to {}", from.to_string(),
                                     from.numel(), Shape(out).to_string()));
    out[infer] = from.numel() / known;
  }
  Shape result(std::move(out));
  if (result.numel() != from.numel())
    throw RuntimeError(fmt::format("cannot reshape {} ({} elements) to {} ({} elements)",
                                   from.to_string(), from.numel(), result.to_string(),
                                   result.numel()));
  return result;
}

}  // namespace tl
