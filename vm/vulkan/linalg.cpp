// matmul and linear: the tiled GEMM kernel, and matrix-vector kernels for the decode shapes
// (a single row times a matrix), which a GEMM tile would waste 63/64 of.
#include <fmt/format.h>

#include "vm/core/error.h"
#include "vm/vulkan/strides.h"
#include "vm/vulkan/vulkan_backend.h"

namespace tl {
namespace {

// Rows of x up to which linear uses the matrix-vector kernel (one pass over W per row).
constexpr int64_t kMatvecMaxRows = 4;
constexpr uint32_t kMatvecGroup = 64;
constexpr uint32_t kMatvecCpuRows = 4;                 // matvec_cpu.comp RN: rows of W per lane
constexpr uint32_t kTile = 64;                         // matmul.comp: BM = BN
constexpr int64_t kRegTileM = 32 * 16, kRegTileN = 8;  // matmul_reg.comp: WG * RM, TN

struct MatvecPush {
  uint32_t n, k, rows, has_bias;
};
struct GemmPush {
  uint32_t m, n, k, has_bias, batch_rank;
  uint32_t bdims[4], a_bs[4], b_bs[4];
};

}  // namespace

// y[r, n] = x[r, :] . W[n, :] (+ bias); W f16 or quantized (dequantized in the kernel).
Tensor VulkanBackend::matvec_rows(const Tensor& x, const Tensor& w, const Tensor* bias,
                                  int64_t rows, int64_t n, int64_t k) {
  Tensor y = alloc(Shape{rows, n});
  const DTypeInfo& info = dtype_info(w.dtype);
  const MatvecPush p{vk::u32(n, "linear"), vk::u32(k, "linear"), vk::u32(rows, "linear"),
                     bias ? 1u : 0u};
  const Tensor& b = bias ? *bias : x;
  if (cpu_device() && k % 8 == 0 &&
      (w.dtype == DType::F16 || w.dtype == DType::Q4_0 || w.dtype == DType::Q8_0)) {
    const uint32_t mode = w.dtype == DType::F16 ? 0u : w.dtype == DType::Q4_0 ? 2u : 3u;
    run("matvec_cpu", {&x, &w, &b, &y}, p, vk::groups(n, 64 * kMatvecCpuRows),
        static_cast<uint32_t>(rows), 1, {mode});
    return y;
  }
  run("matvec", {&x, &w, &b, &y}, p, vk::groups(n, 1), static_cast<uint32_t>(rows), 1,
      {0u, static_cast<uint32_t>(info.ggml_type), info.block_elems, kMatvecGroup,
       info.block_bytes});
  return y;
}

Tensor VulkanBackend::gemm(const Tensor& a, const Tensor& b, const Tensor* bias, bool trans_b,
                           const Shape& out, int64_t m, int64_t n, int64_t k,
                           const std::vector<int64_t>& bdims, const std::vector<int64_t>& a_bs,
                           const std::vector<int64_t>& b_bs) {
  if (bdims.size() > 4)
    throw RuntimeError(
        "matmul with more than 4 separately broadcast batch dimensions is not "
        "supported by the Vulkan backend");
  GemmPush p{};
  p.m = vk::u32(m, "matmul");
  p.n = vk::u32(n, "matmul");
  p.k = vk::u32(k, "matmul");
  p.has_bias = bias ? 1u : 0u;
  p.batch_rank = static_cast<uint32_t>(bdims.size());
  int64_t batch = 1;
  for (size_t i = 0; i < bdims.size(); ++i) {
    p.bdims[i] = static_cast<uint32_t>(bdims[i]);
    p.a_bs[i] = vk::u32(a_bs[i], "matmul");
    p.b_bs[i] = vk::u32(b_bs[i], "matmul");
    batch *= bdims[i];
  }
  Tensor y = alloc(out);
  if (y.numel() == 0) return y;
  if (k == 0) return full(out, 0.0f);
  const Tensor& bb = bias ? *bias : a;
  // CPU devices (lavapipe) get the register-tiled kernel without shared memory (matmul_reg.comp).
  const bool cpu = cpu_device() && k % 8 == 0 && (trans_b || n % 8 == 0);
  const int64_t tile_n = cpu ? kRegTileN : kTile, tile_m = cpu ? kRegTileM : kTile;
  const uint32_t gx = static_cast<uint32_t>((n + tile_n - 1) / tile_n);
  const uint32_t gy = static_cast<uint32_t>((m + tile_m - 1) / tile_m);
  if (gy > 65535 || batch > 65535)
    throw RuntimeError(
        fmt::format("matmul of shape {} is too large for one Vulkan dispatch", out.to_string()));
  run(cpu ? "matmul_reg" : "matmul", {&a, &b, &bb, &y}, p, gx, gy, static_cast<uint32_t>(batch),
      {trans_b ? 1u : 0u});
  return y;
}

Tensor VulkanBackend::matmul(const Tensor& a_in, const Tensor& b_in) {
  const Tensor a = f16(a_in), b = f16(b_in);
  const Shape out = matmul_shape(a.shape, b.shape);
  const Shape as = a.shape.rank() == 1 ? Shape{1, a.shape[0]} : a.shape;
  const Shape bs = b.shape.rank() == 1 ? Shape{b.shape[0], 1} : b.shape;
  const int64_t m = as[as.rank() - 2], k = as[as.rank() - 1], n = bs[bs.rank() - 1];
  const Shape a_batch(std::vector<int64_t>(as.dims().begin(), as.dims().end() - 2));
  const Shape b_batch(std::vector<int64_t>(bs.dims().begin(), bs.dims().end() - 2));
  const Shape batch = broadcast_shapes(a_batch, b_batch, "@");
  std::vector<int64_t> bdims = batch.dims();
  std::vector<int64_t> a_bs = broadcast_strides(a_batch, batch),
                       b_bs = broadcast_strides(b_batch, batch);
  for (int64_t& s : a_bs) s *= m * k;
  for (int64_t& s : b_bs) s *= k * n;
  std::vector<int64_t>* batch_strides[] = {&a_bs, &b_bs};
  coalesce_dims(bdims, batch_strides);
  if (bdims.empty() && k > 0) {
    if (m == 1) {  // vector @ matrix: one invocation per output column
      Tensor y = alloc(out);
      const MatvecPush p{vk::u32(n, "matmul"), vk::u32(k, "matmul"), 1u, 0u};
      if (cpu_device() && n % 8 == 0 && k % 8 == 0) {
        run("matvec_cpu", {&a, &b, &a, &y}, p, vk::groups(n / 8, 64), 1, 1, {1u});
        return y;
      }
      run("matvec", {&a, &b, &a, &y}, p, vk::groups(n), 1, 1, {1u, 1u, 1u, 256u, 2u});
      return y;
    }
    if (n == 1)  // matrix @ vector: a dot product per row of a
      return matvec_rows(b.reshaped(Shape{1, k}), a, nullptr, 1, m, k).reshaped(out);
  }
  return gemm(a, b, nullptr, false, out, m, n, k, bdims, a_bs, b_bs);
}

Tensor VulkanBackend::linear(const Tensor& x_in, const Tensor& w_in, const Tensor* b_in) {
  const Tensor x = f16(x_in);
  if (w_in.backend != this || !w_in.buffer)
    throw RuntimeError("tensor passed to the Vulkan backend was made by another backend");
  if (w_in.shape.rank() != 2)
    throw RuntimeError(
        fmt::format("linear: weight must be [out, in], got {}", w_in.shape.to_string()));
  const int64_t n = w_in.shape[0], k = w_in.shape[1];
  if (x.shape.rank() == 0 || x.shape[x.shape.rank() - 1] != k)
    throw RuntimeError(
        fmt::format("linear: input {} does not end in the weight's in-features {} (weight {})",
                    x.shape.to_string(), k, w_in.shape.to_string()));
  std::optional<Tensor> bias;
  if (b_in) {
    if (!(b_in->shape.rank() == 1 && b_in->shape[0] == n))
      throw RuntimeError(fmt::format("linear: bias {} does not match out-features {}",
                                     b_in->shape.to_string(), n));
    bias = f16(*b_in);
  }
  std::vector<int64_t> od = x.shape.dims();
  od.back() = n;
  const Shape out(od);
  const int64_t rows = k == 0 ? 0 : x.numel() / k;
  if (rows == 0 || n == 0 || k == 0) {
    if (k == 0 && bias) return binary(BinaryOp::Add, full(out, 0.0f), *bias);
    return full(out, 0.0f);
  }
  const bool quant = w_in.quantized();
  if (quant && k % dtype_info(w_in.dtype).block_elems != 0)
    throw RuntimeError(fmt::format("linear: {} weight rows of {} elements are not whole blocks",
                                   dtype_name(w_in.dtype), k));
  const Tensor x2 = x.reshaped(Shape{rows, k});
  if (rows <= kMatvecMaxRows)
    return matvec_rows(x2, w_in, bias ? &*bias : nullptr, rows, n, k).reshaped(out);
  const Tensor w = quant ? dequantize(w_in) : w_in;
  return gemm(x2, w, bias ? &*bias : nullptr, true, out, rows, n, k, {}, {}, {});
}

}  // namespace tl
