// Concrete tensor shapes and the shape rules every backend shares.
//
// The checker (compiler/sema) applies the same rules symbolically; these are the run-time
// versions, used for dimensions that were unknown ('?') at check time. Errors are RuntimeError
// with a message naming both operands' shapes; the VM prefixes the source position.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tl {

// The most elements one tensor may hold: 2^40 (2 TiB of f16). Every element count and stride is
// computed through Shape::numel/strides, which refuse a shape past this limit (counting only its
// nonzero dims, so that an empty tensor's strides cannot overflow either) with a RuntimeError.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 40;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

  size_t rank() const { return dims_.size(); }
  int64_t operator[](size_t i) const { return dims_[i]; }
  int64_t& operator[](size_t i) { return dims_[i]; }
  const std::vector<int64_t>& dims() const { return dims_; }
  // Throws RuntimeError for a negative dim or past kMaxTensorElements.
  int64_t numel() const;
  // Row-major strides in elements; the same checks as numel().
  std::vector<int64_t> strides() const;
  // "[4, 2]"; a 0-d shape prints as "[]".
  std::string to_string() const;
  bool operator==(const Shape&) const = default;

 private:
  std::vector<int64_t> dims_;
};

// NumPy broadcasting of two shapes; `op` names the operator in the error ("+", "*").
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
// Strides (in elements) of `s` read as broadcast to `out`: 0 along broadcast (missing or size-1)
// dims. `out` must be a broadcast of `s`.
std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out);
// Index simplification for kernels over broadcast operands: drops size-1 dims and merges
// neighbours that are contiguous (or broadcast) in every stride list. May leave `dims` empty.
void coalesce_dims(std::vector<int64_t>& dims, std::span<std::vector<int64_t>* const> strides);
// NumPy matmul: 1-D operands are promoted and the added dim removed; batch dims broadcast.
Shape matmul_shape(const Shape& a, const Shape& b);
// A possibly negative dim resolved against rank; throws when out of range.
int normalize_dim(int64_t dim, size_t rank);
// Shape of reducing `dim` (nullopt: all dims).
Shape reduce_shape(const Shape& s, std::optional<int> dim, bool keepdim);
// Reshape target with at most one -1, checked against the element count.
Shape resolve_reshape(const Shape& from, std::span<const int64_t> target);

}  // namespace tl
