// Memory, element-wise ops, reductions, norms and data movement. Linear algebra: linalg.cpp.
#include "vm/vulkan/vulkan_backend.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>
#include <numeric>

#include "vm/core/error.h"
#include "vm/vulkan/strides.h"

namespace tl {
namespace {

constexpr VkDeviceSize kBlockBytes = VkDeviceSize{256} << 20;

struct FillPush {
  uint32_t n;
  float value;
};
struct UnaryPush {
  uint32_t n;
};
struct BinaryPush {
  uint32_t n, rank;
  uint32_t dims[8], sa[8], sb[8];
};
struct ScalarPush {
  uint32_t n;
  float s;
  uint32_t scalar_on_left;
};
struct CopyPush {
  uint32_t n, rank, src_base, dst_base;
  uint32_t dims[6], ss[6], ds[6];
};
struct RowsPush {
  uint32_t outer, r, inner;
};
struct NormPush {
  uint32_t rows, cols;
  float eps;
  uint32_t has_w, has_b;
};

}  // namespace

VulkanBackend::VulkanBackend(const vk::DeviceOptions& opts)
    : device_(opts),
      cpu_kernels_(opts.cpu_kernels && device_.info().type == VK_PHYSICAL_DEVICE_TYPE_CPU),
      pool_(device_, false, kBlockBytes),
      pipelines_(device_),
      stream_(device_) {
  if (!pool_.host_visible())
    staging_ = std::make_unique<vk::MemoryPool>(device_, true, kBlockBytes / 4);
}

VulkanBackend::~VulkanBackend() = default;

std::unique_ptr<Backend> make_vulkan_backend(const vk::DeviceOptions& opts) {
  return std::make_unique<VulkanBackend>(opts);
}

Tensor VulkanBackend::alloc(const Shape& shape, DType dtype) {
  const std::optional<uint64_t> bytes = dtype_bytes(dtype, static_cast<uint64_t>(shape.numel()));
  if (!bytes)
    throw RuntimeError(
        fmt::format("a {} tensor of shape {} is not a whole number of {}-element blocks",
                    dtype_name(dtype), shape.to_string(), dtype_info(dtype).block_elems));
  vk::u32(shape.numel(), "tensor element count");
  return Tensor{shape, dtype, std::make_shared<vk::DeviceBuffer>(pool_, *bytes), this};
}

Tensor VulkanBackend::f16(const Tensor& t) {
  if (t.backend != this || !t.buffer)
    throw RuntimeError("tensor passed to the Vulkan backend was made by another backend");
  return t.quantized() ? dequantize(t) : t;
}

void VulkanBackend::dispatch(std::string_view kernel, std::initializer_list<const Tensor*> bufs,
                             std::span<const std::byte> push, uint32_t gx, uint32_t gy, uint32_t gz,
                             std::initializer_list<uint32_t> spec) {
  std::vector<std::shared_ptr<Buffer>> owners;
  for (const Tensor* t : bufs) owners.push_back(t->buffer);
  const vk::Pipeline& p = pipelines_.get(kernel, static_cast<uint32_t>(owners.size()),
                                         std::span<const uint32_t>(spec.begin(), spec.size()));
  stream_.dispatch(p, owners, push, gx, gy, gz);
}

// ---- memory ----

Tensor VulkanBackend::upload(const Shape& shape, DType dtype, std::span<const std::byte> data) {
  if (dtype != DType::F16 && dtype_info(dtype).kind != DTypeKind::Quant)
    throw RuntimeError(fmt::format("the Vulkan backend stores F16 or quantized tensors, not {}",
                                   dtype_name(dtype)));
  Tensor t = alloc(shape, dtype);
  const auto& dst = static_cast<const vk::DeviceBuffer&>(*t.buffer);
  if (data.size() != dst.bytes())
    throw RuntimeError(fmt::format("upload of a {} tensor of shape {}: expected {} bytes, got {}",
                                   dtype_name(dtype), shape.to_string(), dst.bytes(), data.size()));
  if (data.empty()) return t;
  if (std::byte* p = dst.mapped()) {
    // Fresh memory: no pending GPU work can touch it, and the next submit makes it visible.
    std::memcpy(p, data.data(), data.size());
  } else {
    auto staging = std::make_shared<vk::DeviceBuffer>(*staging_, data.size());
    std::memcpy(staging->mapped(), data.data(), data.size());
    stream_.copy(staging, t.buffer, data.size());
  }
  return t;
}

void VulkanBackend::download(const Tensor& t_in, std::span<f16_bits> out) {
  const Tensor t = f16(t_in);
  if (static_cast<int64_t>(out.size()) != t.numel())
    throw RuntimeError(fmt::format("download of a tensor of shape {} into {} values",
                                   t.shape.to_string(), out.size()));
  if (out.empty()) return;
  const auto& src = static_cast<const vk::DeviceBuffer&>(*t.buffer);
  const size_t bytes = out.size() * sizeof(f16_bits);
  if (const std::byte* p = src.mapped()) {
    stream_.finish();
    std::memcpy(out.data(), p, bytes);
    return;
  }
  auto staging = std::make_shared<vk::DeviceBuffer>(*staging_, bytes);
  stream_.copy(t.buffer, staging, bytes);
  stream_.finish();
  std::memcpy(out.data(), staging->mapped(), bytes);
}

void VulkanBackend::synchronize() {
  stream_.finish();
}

Tensor VulkanBackend::full(const Shape& shape, float value) {
  Tensor y = alloc(shape);
  const uint32_t n = vk::u32(shape.numel(), "full");
  run("fill", {&y}, FillPush{n, value}, vk::groups(n));
  return y;
}

Tensor VulkanBackend::dequantize(const Tensor& t) {
  if (t.backend != this || !t.buffer)
    throw RuntimeError("tensor passed to the Vulkan backend was made by another backend");
  if (!t.quantized()) return t;
  const DTypeInfo& info = dtype_info(t.dtype);
  Tensor y = alloc(t.shape);
  const uint32_t n = vk::u32(t.numel(), "dequantize");
  run("dequant", {&t, &y}, UnaryPush{n}, vk::groups(n), 1, 1,
      {static_cast<uint32_t>(info.ggml_type), info.block_elems, info.block_bytes});
  return y;
}

// ---- element-wise ----

Tensor VulkanBackend::unary(UnaryOp op, const Tensor& x_in) {
  const Tensor x = f16(x_in);
  Tensor y = alloc(x.shape);
  const uint32_t n = vk::u32(x.numel(), op_name(op));
  run("unary", {&x, &y}, UnaryPush{n}, vk::groups(n), 1, 1, {static_cast<uint32_t>(op)});
  return y;
}

Tensor VulkanBackend::binary(BinaryOp op, const Tensor& a_in, const Tensor& b_in) {
  const Tensor a = f16(a_in), b = f16(b_in);
  const std::string op_str(op_name(op));
  const Shape out = broadcast_shapes(a.shape, b.shape, op_str.c_str());
  std::vector<int64_t> dims = out.dims();
  std::vector<int64_t> sa = broadcast_strides(a.shape, out), sb = broadcast_strides(b.shape, out);
  std::vector<int64_t>* st[] = {&sa, &sb};
  coalesce_dims(dims, st);
  if (dims.size() > 8)
    throw RuntimeError(
        fmt::format("`{}` on {} and {}: broadcasting over more than 8 separate "
                    "dimensions is not supported by the Vulkan backend",
                    op_str, a.shape.to_string(), b.shape.to_string()));
  BinaryPush p{};
  p.n = vk::u32(out.numel(), op_str);
  p.rank = static_cast<uint32_t>(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    p.dims[i] = static_cast<uint32_t>(dims[i]);
    p.sa[i] = static_cast<uint32_t>(sa[i]);
    p.sb[i] = static_cast<uint32_t>(sb[i]);
  }
  Tensor y = alloc(out);
  run("binary", {&a, &b, &y}, p, vk::groups(p.n), 1, 1, {static_cast<uint32_t>(op)});
  return y;
}

Tensor VulkanBackend::binary_scalar(BinaryOp op, const Tensor& a_in, float s, bool scalar_on_left) {
  const Tensor a = f16(a_in);
  Tensor y = alloc(a.shape);
  const uint32_t n = vk::u32(a.numel(), op_name(op));
  run("binary_scalar", {&a, &y}, ScalarPush{n, s, scalar_on_left ? 1u : 0u}, vk::groups(n), 1, 1,
      {static_cast<uint32_t>(op)});
  return y;
}

// ---- reductions and norms ----

Tensor VulkanBackend::reduce(ReduceOp op, const Tensor& x_in, std::optional<int> dim_in,
                             bool keepdim) {
  const Tensor x = f16(x_in);
  std::optional<int> dim;
  if (dim_in) dim = normalize_dim(*dim_in, x.shape.rank());
  const Shape out = reduce_shape(x.shape, dim, keepdim);
  const vk::RowView v = dim ? vk::row_view(x.shape, *dim) : vk::RowView{1, x.numel(), 1};
  if (v.r == 0) {
    if (op == ReduceOp::Sum) return full(out, 0.0f);
    if (op == ReduceOp::Mean) return full(out, std::numeric_limits<float>::quiet_NaN());
    throw RuntimeError(
        fmt::format("{} of an empty tensor (shape {})", op_name(op), x.shape.to_string()));
  }
  Tensor y = alloc(out);
  const RowsPush p{vk::u32(v.outer, "reduce"), vk::u32(v.r, "reduce"), vk::u32(v.inner, "reduce")};
  const bool row = v.inner == 1;
  run("reduce", {&x, &y}, p, row ? vk::groups(p.outer, 1) : vk::groups(p.outer * p.inner), 1, 1,
      {static_cast<uint32_t>(op), row ? 1u : 0u});
  return y;
}

Tensor VulkanBackend::softmax(const Tensor& x_in, int dim_in) {
  const Tensor x = f16(x_in);
  const int dim = normalize_dim(dim_in, x.shape.rank());
  const vk::RowView v = vk::row_view(x.shape, dim);
  Tensor y = alloc(x.shape);
  const RowsPush p{vk::u32(v.outer, "softmax"), vk::u32(v.r, "softmax"),
                   vk::u32(v.inner, "softmax")};
  const bool row = v.inner == 1;
  run("softmax", {&x, &y}, p, row ? vk::groups(p.outer, 1) : vk::groups(p.outer * p.inner), 1, 1,
      {row ? 1u : 0u});
  return y;
}

namespace {
void check_norm_param(const Tensor* t, int64_t cols, const char* what, const Shape& x) {
  if (t && !(t->shape.rank() == 1 && t->shape[0] == cols))
    throw RuntimeError(fmt::format("{} of shape {} does not match the last dimension of {}", what,
                                   t->shape.to_string(), x.to_string()));
}
}  // namespace

Tensor VulkanBackend::rms_norm(const Tensor& x, const Tensor* weight, float eps) {
  return layer_norm_impl(x, weight, nullptr, eps, 0);
}

Tensor VulkanBackend::layer_norm(const Tensor& x, const Tensor* weight, const Tensor* bias,
                                 float eps) {
  return layer_norm_impl(x, weight, bias, eps, 1);
}

Tensor VulkanBackend::layer_norm_impl(const Tensor& x_in, const Tensor* w_in, const Tensor* b_in,
                                      float eps, uint32_t kind) {
  const Tensor x = f16(x_in);
  if (x.shape.rank() == 0) throw RuntimeError("normalisation needs a tensor of rank 1 or more");
  const int64_t cols = x.shape[x.shape.rank() - 1];
  check_norm_param(w_in, cols, "weight", x.shape);
  check_norm_param(b_in, cols, "bias", x.shape);
  const Tensor w = w_in ? f16(*w_in) : x, b = b_in ? f16(*b_in) : x;
  Tensor y = alloc(x.shape);
  if (cols == 0) return y;
  const NormPush p{vk::u32(x.numel() / cols, "norm"), vk::u32(cols, "norm"), eps, w_in ? 1u : 0u,
                   b_in ? 1u : 0u};
  run("norm", {&x, &w, &b, &y}, p, vk::groups(p.rows, 1), 1, 1, {kind});
  return y;
}

// ---- data movement ----

void VulkanBackend::strided_copy(const Tensor& src, const Tensor& dst, std::vector<int64_t> dims,
                                 std::vector<int64_t> ss, std::vector<int64_t> ds, int64_t src_base,
                                 int64_t dst_base) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  if (n == 0) return;
  std::vector<int64_t>* st[] = {&ss, &ds};
  coalesce_dims(dims, st);
  if (dims.size() == 1 && ss[0] == 1 && ds[0] == 1) {  // contiguous: one buffer copy
    stream_.copy(src.buffer, dst.buffer, static_cast<VkDeviceSize>(n) * 2,
                 static_cast<VkDeviceSize>(src_base) * 2, static_cast<VkDeviceSize>(dst_base) * 2);
    return;
  }
  if (dims.size() > 6)
    throw RuntimeError(
        "copies over more than 6 non-contiguous dimensions are not supported by the "
        "Vulkan backend");
  CopyPush p{};
  p.n = vk::u32(n, "copy");
  p.rank = static_cast<uint32_t>(dims.size());
  p.src_base = vk::u32(src_base, "copy");
  p.dst_base = vk::u32(dst_base, "copy");
  for (size_t i = 0; i < dims.size(); ++i) {
    p.dims[i] = static_cast<uint32_t>(dims[i]);
    p.ss[i] = static_cast<uint32_t>(ss[i]);
    p.ds[i] = static_cast<uint32_t>(ds[i]);
  }
  run("copy", {&src, &dst}, p, vk::groups(p.n));
}

Tensor VulkanBackend::permute(const Tensor& x_in, std::span<const int> perm) {
  const Tensor x = f16(x_in);
  const size_t rank = x.shape.rank();
  if (perm.size() != rank)
    throw RuntimeError(
        fmt::format("permute of a rank-{} tensor needs {} axes, got {}", rank, rank, perm.size()));
  std::vector<bool> seen(rank, false);
  std::vector<int64_t> dims(rank), ss(rank);
  const std::vector<int64_t> xs = x.shape.strides();
  for (size_t i = 0; i < rank; ++i) {
    const int d = normalize_dim(perm[i], rank);
    if (seen[d]) throw RuntimeError(fmt::format("permute: axis {} appears twice", d));
    seen[d] = true;
    dims[i] = x.shape[d];
    ss[i] = xs[d];
  }
  Tensor y = alloc(Shape(dims));
  strided_copy(x, y, dims, ss, y.shape.strides(), 0, 0);
  return y;
}

namespace {
// Strides and base offset of the region of a tensor of shape x that `axes` select.
int64_t region_strides(const Shape& x, std::span<const SliceAxis> axes,
                       std::span<const int64_t> dims, std::vector<int64_t>& strides) {
  const std::vector<int64_t> xs = x.strides();
  int64_t base = 0;
  strides.resize(x.rank());
  for (size_t i = 0; i < x.rank(); ++i) {
    strides[i] = slice_stride(xs[i], axes[i], dims[i]);
    base += axes[i].start * xs[i];
  }
  return base;
}
}  // namespace

Tensor VulkanBackend::slice(const Tensor& x_in, std::span<const SliceAxis> axes) {
  const Tensor x = f16(x_in);
  const std::vector<int64_t> dims = slice_region(x.shape, axes, "slice");
  std::vector<int64_t> ss;
  const int64_t base = region_strides(x.shape, axes, dims, ss);
  Tensor y = alloc(Shape(dims));
  strided_copy(x, y, dims, ss, y.shape.strides(), base, 0);
  return y;
}

void VulkanBackend::assign_slice(const Tensor& dst, std::span<const SliceAxis> axes,
                                 const Tensor& src_in) {
  if (dst.quantized() || dst.backend != this || !dst.buffer)
    throw RuntimeError("slice assignment: the target must be an F16 tensor of this backend");
  const std::vector<int64_t> dims = slice_region(dst.shape, axes, "slice assignment");
  const Tensor src = f16(src_in);
  check_assign_source(src.shape, dims);
  std::vector<int64_t> ss = src.shape.strides(), ds;
  for (size_t i = 0; i < dims.size(); ++i)
    if (src.shape[i] != dims[i]) ss[i] = 0;  // broadcast
  const int64_t base = region_strides(dst.shape, axes, dims, ds);
  strided_copy(src, dst, dims, ss, ds, 0, base);
}

bool VulkanBackend::sole_owner(const Tensor& t) const {
  return t.buffer.use_count() - static_cast<long>(stream_.references(t.buffer.get())) == 1;
}

Tensor VulkanBackend::concat(std::span<const Tensor> xs_in, int dim_in) {
  if (xs_in.empty()) throw RuntimeError("concat of no tensors");
  std::vector<Tensor> xs;
  for (const Tensor& t : xs_in) xs.push_back(f16(t));
  const size_t rank = xs[0].shape.rank();
  const int dim = normalize_dim(dim_in, rank);
  std::vector<int64_t> out = xs[0].shape.dims();
  out[dim] = 0;
  for (const Tensor& t : xs) {
    bool ok = t.shape.rank() == rank;
    for (size_t i = 0; ok && i < rank; ++i)
      ok = static_cast<int>(i) == dim || t.shape[i] == xs[0].shape[i];
    if (!ok)
      throw RuntimeError(fmt::format("concat along dimension {}: shapes {} and {} differ elsewhere",
                                     dim, xs[0].shape.to_string(), t.shape.to_string()));
    out[dim] += t.shape[dim];
  }
  Tensor y = alloc(Shape(out));
  const std::vector<int64_t> ys = y.shape.strides();
  int64_t offset = 0;
  for (const Tensor& t : xs) {
    strided_copy(t, y, t.shape.dims(), t.shape.strides(), ys, 0, offset * ys[dim]);
    offset += t.shape[dim];
  }
  return y;
}

}  // namespace tl
