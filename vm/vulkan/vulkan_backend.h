// tl::Backend on Vulkan compute: f16 storage, f32 accumulation, quantized weights kept in their
// ggml block format on the device. See docs/vulkan.md.
//
//   auto be = tl::make_vulkan_backend();          // best device (or TL_VULKAN_DEVICE=N)
//   if (tl::vk::has_gpu()) ...                     // `--device auto`: is there a real GPU?
#pragma once

#include <memory>

#include "vm/tensor/backend.h"
#include "vm/vulkan/device.h"
#include "vm/vulkan/memory.h"
#include "vm/vulkan/pipelines.h"
#include "vm/vulkan/stream.h"

namespace tl {

class VulkanBackend final : public Backend {
 public:
  explicit VulkanBackend(const vk::DeviceOptions& opts = {});
  ~VulkanBackend() override;

  std::string_view name() const override { return "vulkan"; }
  const vk::Device& device() const { return device_; }
  const vk::MemoryPool& memory() const { return pool_; }
  size_t pipelines_built() const { return pipelines_.size(); }

  Tensor upload(const Shape& shape, DType dtype, std::span<const std::byte> data) override;
  void download(const Tensor& t, std::span<f16_bits> out) override;
  Tensor full(const Shape& shape, float value) override;
  Tensor dequantize(const Tensor& t) override;
  Tensor unary(UnaryOp op, const Tensor& x) override;
  Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) override;
  Tensor binary_scalar(BinaryOp op, const Tensor& a, float s, bool scalar_on_left) override;
  Tensor matmul(const Tensor& a, const Tensor& b) override;
  Tensor linear(const Tensor& x, const Tensor& w, const Tensor* b) override;
  Tensor reduce(ReduceOp op, const Tensor& x, std::optional<int> dim, bool keepdim) override;
  std::vector<int64_t> arg_reduce(ArgOp op, const Tensor& x, std::optional<int> dim) override;
  Tensor softmax(const Tensor& x, int dim) override;
  Tensor rms_norm(const Tensor& x, const Tensor* weight, float eps) override;
  Tensor layer_norm(const Tensor& x, const Tensor* weight, const Tensor* bias, float eps) override;
  Tensor permute(const Tensor& x, std::span<const int> perm) override;
  Tensor slice(const Tensor& x, std::span<const SliceAxis> axes) override;
  Tensor concat(std::span<const Tensor> xs, int dim) override;
  void assign_slice(const Tensor& dst, std::span<const SliceAxis> axes, const Tensor& src) override;
  // Batches in flight hold references to the buffers they use; those are not other values.
  bool sole_owner(const Tensor& t) const override;
  Tensor embedding(const Tensor& table, std::span<const int64_t> ids) override;
  Tensor rope(const Tensor& x, int64_t start, float theta, RopeMode mode) override;
  Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, int64_t start,
                   float scale) override;
  void synchronize() override;

 private:
  Tensor alloc(const Shape& shape, DType dtype = DType::F16);
  // CPU-type devices (lavapipe) get kernels without shared memory or barriers (*_cpu, *_reg).
  bool cpu_device() const { return cpu_kernels_; }
  Tensor f16(const Tensor& t);
  // 32-bit words (indices, f32 angles) for a kernel, as an F16 tensor of 2 * size elements.
  Tensor upload_words(
      std::span<const uint32_t> words);  // checks ownership; dequantizes a quantized tensor
  Tensor layer_norm_impl(const Tensor& x, const Tensor* w, const Tensor* b, float eps,
                         uint32_t kind);
  // Records one dispatch of shaders/<kernel>.comp; `push` is the kernel's push-constant struct.
  template <class Push>
  void run(std::string_view kernel, std::initializer_list<const Tensor*> bufs, const Push& push,
           uint32_t gx, uint32_t gy = 1, uint32_t gz = 1,
           std::initializer_list<uint32_t> spec = {}) {
    static_assert(sizeof(Push) <= vk::kPushBytes);
    dispatch(kernel, bufs, std::as_bytes(std::span(&push, 1)), gx, gy, gz, spec);
  }
  void dispatch(std::string_view kernel, std::initializer_list<const Tensor*> bufs,
                std::span<const std::byte> push, uint32_t gx, uint32_t gy, uint32_t gz,
                std::initializer_list<uint32_t> spec);
  void strided_copy(const Tensor& src, const Tensor& dst, std::vector<int64_t> dims,
                    std::vector<int64_t> src_strides, std::vector<int64_t> dst_strides,
                    int64_t src_base, int64_t dst_base);
  Tensor matvec_rows(const Tensor& x, const Tensor& w, const Tensor* bias, int64_t rows, int64_t n,
                     int64_t k);
  Tensor gemm(const Tensor& a, const Tensor& b, const Tensor* bias, bool trans_b, const Shape& out,
              int64_t m, int64_t n, int64_t k, const std::vector<int64_t>& bdims,
              const std::vector<int64_t>& a_bs, const std::vector<int64_t>& b_bs);

  vk::Device device_;
  bool cpu_kernels_;
  vk::MemoryPool pool_;
  std::unique_ptr<vk::MemoryPool> staging_;  // only when device memory is not host-visible
  vk::Pipelines pipelines_;
  vk::Stream stream_;
};

std::unique_ptr<Backend> make_vulkan_backend(const vk::DeviceOptions& opts = {});

}  // namespace tl
