// The interface the VM's tensor opcodes call. Implemented by vm/cpu (reference + fast paths)
// and vm/vulkan. Scalar opcodes never touch a backend.
//
// Contract for every implementation:
// - Inputs are F16 tensors unless the op says otherwise; outputs are new F16 tensors.
// - Arithmetic accumulates in f32 (matmul, reductions, norms, softmax) and rounds the result to
//   f16 once, to nearest even (see vm/core/half.h).
// - Shapes are checked with the rules in shape.h; a mismatch throws RuntimeError.
// - Ops may run asynchronously; download() is the only point at which the host waits.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "vm/core/half.h"
#include "vm/tensor/tensor.h"

namespace tl {

// X-macro lists, so that backends, the VM and the docs enumerate the same ops.
#define TL_UNARY_OPS(X) \
  X(Neg, "neg")         \
  X(Relu, "relu")       \
  X(Gelu, "gelu")       \
  X(Silu, "silu")       \
  X(Sigmoid, "sigmoid") \
  X(Tanh, "tanh")       \
  X(Exp, "exp")         \
  X(Log, "log")         \
  X(Sqrt, "sqrt")       \
  X(Abs, "abs")         \
  X(GeluErf, "gelu_erf")

#define TL_BINARY_OPS(X)            \
  X(Add, "+")                       \
  X(Sub, "-")                       \
  X(Mul, "*")                       \
  X(Div, "/")                       \
  X(Mod, "%")                       \
  X(Pow, "**")                      \
  X(Maximum, "maximum")             \
  X(Minimum, "minimum")             \
  X(Lt, "<")                        \
  X(Le, "<=")                       \
  X(Gt, ">")                        \
  X(Ge, ">=")                       \
  X(Eq, "==")                       \
  X(Ne, "!=")                       \
  X(KeepWhere, "keep_where")        \
  X(KeepWhereNot, "keep_where_not") \
  X(FloorDiv, "floordiv")

#define TL_REDUCE_OPS(X) \
  X(Sum, "sum")          \
  X(Mean, "mean")        \
  X(Max, "max")          \
  X(Min, "min")

// Index-valued reductions (Backend::arg_reduce): exact integer indices, never f16.
#define TL_ARG_OPS(X) \
  X(ArgMax, "argmax") \
  X(ArgMin, "argmin")

enum class UnaryOp : uint8_t {
#define X(e, s) e,
  TL_UNARY_OPS(X)
#undef X
};
enum class BinaryOp : uint8_t {
#define X(e, s) e,
  TL_BINARY_OPS(X)
#undef X
};
enum class ReduceOp : uint8_t {
#define X(e, s) e,
  TL_REDUCE_OPS(X)
#undef X
};

enum class ArgOp : uint8_t {
#define X(e, s) e,
  TL_ARG_OPS(X)
#undef X
};

// Which pairs of a head vector RoPE rotates: Norm = (2i, 2i+1), llama.cpp's for GGUF `llama`
// weights; Neox = (i, i + hd/2), HF's rotate_half.
enum class RopeMode : uint8_t { Norm, Neox };

// How many ops each list has (the bound of a valid index in bytecode).
#define X(e, s) +1
inline constexpr int kUnaryOpCount = 0 TL_UNARY_OPS(X);
inline constexpr int kBinaryOpCount = 0 TL_BINARY_OPS(X);
inline constexpr int kReduceOpCount = 0 TL_REDUCE_OPS(X);
#undef X

std::string_view op_name(UnaryOp);
std::string_view op_name(BinaryOp);
std::string_view op_name(ReduceOp);
std::string_view op_name(ArgOp);

struct ElementwiseProgram;  // vm/tensor/elementwise.h
struct ElementwiseArg;

// One axis of a slice, NumPy semantics after normalisation (start/stop already clamped and
// non-negative for step > 0). step must be >= 1.
struct SliceAxis {
  int64_t start = 0;
  int64_t stop = 0;
  int64_t step = 1;
};

// The region dims that `axes` select in a tensor of shape `s` (one axis per dim), after checking
// each axis is inside its dim; errors name `op`. Shared by every backend's slice and assign_slice.
std::vector<int64_t> slice_region(const Shape& s, std::span<const SliceAxis> axes, const char* op);
// The element stride of a region dim of `count` elements, in a tensor dim of element stride
// `stride`: stride * step where the dim has two elements or more (then step < the dim's extent,
// so the product fits), 0 where it has at most one (a huge step must not overflow).
inline int64_t slice_stride(int64_t stride, const SliceAxis& a, int64_t count) {
  return count > 1 ? stride * a.step : 0;
}
// Checks that src (same rank as the region) has each dim equal to the region's or 1.
void check_assign_source(const Shape& src, std::span<const int64_t> region);

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;

  // Memory. `data` holds f16 bits (dtype F16) or ggml blocks (quantized dtypes), row-major.
  virtual Tensor upload(const Shape& shape, DType dtype, std::span<const std::byte> data) = 0;
  // upload() of memory that stays valid and unchanged while `owner` lives (a mapped model file).
  // A backend that computes from host memory may keep the pointer instead of copying: a model's
  // weights then cost no copy and no second resident copy (the CPU backend does). Such a tensor
  // is never written in place (sole_owner is false for it). The default copies.
  // `file_mapped`: `data` lies in a read-only mapping of a file, so the backend may drop its pages
  // from memory (they read back from the file when touched again), as the CPU backend does once
  // it keeps a weight in another layout.
  virtual Tensor upload_borrowed(const Shape& shape, DType dtype, std::span<const std::byte> data,
                                 std::shared_ptr<const void> owner, bool file_mapped = false) {
    (void)owner, (void)file_mapped;
    return upload(shape, dtype, data);
  }
  // Writes numel() f16 values; dequantizes quantized tensors. Waits for pending work.
  virtual void download(const Tensor& t, std::span<f16_bits> out) = 0;
  virtual Tensor full(const Shape& shape, float value) = 0;
  // Quantized -> F16, exactly as ggml dequantizes (then rounded to f16).
  virtual Tensor dequantize(const Tensor& t) = 0;

  // Element-wise.
  virtual Tensor unary(UnaryOp op, const Tensor& x) = 0;
  // Broadcasts. Comparisons (Lt ... Ne) give 1 or 0; KeepWhere(c, x) is x where c != 0, else 0,
  // and KeepWhereNot(c, x) is x where c == 0, else 0 (their sum is where(c, x, y), exact even for
  // inf and NaN in the unselected operand); FloorDiv is Python's floor(a / b).
  virtual Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) = 0;
  // a op s (scalar_on_left: s op a). The scalar is used in f32.
  virtual Tensor binary_scalar(BinaryOp op, const Tensor& a, float s, bool scalar_on_left) = 0;
  // A fused chain of the three above (vm/tensor/elementwise.h); args match p's inputs. The
  // default runs the steps one by one through unary/binary/binary_scalar (the reference, and
  // what a backend without a fused kernel does); a backend may override it to evaluate all steps
  // in f32 and round once. Throws RuntimeError for a malformed program or mismatched arguments.
  virtual Tensor elementwise(const ElementwiseProgram& p, std::span<const ElementwiseArg> args);

  // Linear algebra. matmul: NumPy semantics. linear: x @ transpose(w) + b, w of shape
  // [out, in] possibly quantized (nn.Linear and GGUF layout), b of shape [out] or absent.
  virtual Tensor matmul(const Tensor& a, const Tensor& b) = 0;
  virtual Tensor linear(const Tensor& x, const Tensor& w, const Tensor* b) = 0;

  // Reductions over one dim (or all when dim is nullopt).
  virtual Tensor reduce(ReduceOp op, const Tensor& x, std::optional<int> dim, bool keepdim) = 0;
  // The index of the max/min along dim (over all elements, flat, when nullopt), one per position
  // of the other dims in row-major order. Exact for any size; ties go to the first index and a
  // NaN wins (the first NaN), as in NumPy and llama.cpp. An empty dim is a RuntimeError.
  virtual std::vector<int64_t> arg_reduce(ArgOp op, const Tensor& x, std::optional<int> dim) = 0;
  virtual Tensor softmax(const Tensor& x, int dim) = 0;
  // Over the last dim; weight/bias of shape [last] or absent.
  virtual Tensor rms_norm(const Tensor& x, const Tensor* weight, float eps) = 0;
  virtual Tensor layer_norm(const Tensor& x, const Tensor* weight, const Tensor* bias,
                            float eps) = 0;

  // Data movement.
  virtual Tensor permute(const Tensor& x, std::span<const int> perm) = 0;
  virtual Tensor slice(const Tensor& x, std::span<const SliceAxis> axes) = 0;  // one per dim
  virtual Tensor concat(std::span<const Tensor> xs, int dim) = 0;
  // dst[axes] = src, in place: writes into dst's own buffer (the VM calls it only when no other
  // value shares that buffer, and copies first otherwise, so tensors stay values). dst is F16;
  // src has dst's rank and each of its dims equals the region's or is 1 (broadcast).
  virtual void assign_slice(const Tensor& dst, std::span<const SliceAxis> axes,
                            const Tensor& src) = 0;
  // True when no other tensor holds t's buffer, so an in-place write is invisible to other
  // values. A backend that keeps buffers alive for pending work discounts its own references.
  virtual bool sole_owner(const Tensor& t) const { return t.buffer.use_count() == 1; }

  // Language-model ops (vm/tensor/llm.h has their shape rules and the RoPE angles both backends
  // share).
  // Rows `ids` of table [V, D] (F16 or quantized: only those rows are dequantized) -> [n, D].
  // Every id must be in [0, V) (check_embedding_ids).
  virtual Tensor embedding(const Tensor& table, std::span<const int64_t> ids) = 0;
  // x [T, H, hd] with row t at position start + t, rotated by the angles of rope_angles().
  virtual Tensor rope(const Tensor& x, int64_t start, float theta, RopeMode mode) = 0;
  // Causal attention with grouped-query heads: q [T, H, hd], k and v [S, Hkv, hd] (only rows
  // 0 .. start+T-1 are read); query t attends to keys 0 .. start+t; softmax(q.k * scale) @ v with
  // the scores, the softmax and the sums in f32, rounded once -> [T, H, hd].
  virtual Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, int64_t start,
                           float scale) = 0;

  // Blocks until all submitted work has finished (used before timing and at exit).
  virtual void synchronize() {}
};

}  // namespace tl
