#include "vm/runtime/backend_factory.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>

#include "vm/core/error.h"
#ifdef TL_HAVE_CPU_BACKEND
#include "vm/cpu/cpu_backend.h"
#include "vm/cpu/cpu_features.h"
#include "vm/cpu/kernels.h"
#endif
#ifdef TL_HAVE_VULKAN_BACKEND
#include "vm/vulkan/device.h"
#include "vm/vulkan/vulkan_backend.h"
#endif

namespace tl {

namespace {

std::unique_ptr<Backend> make_cpu_backend() {
#ifdef TL_HAVE_CPU_BACKEND
  return std::make_unique<CpuBackend>();
#else
  return nullptr;
#endif
}

#ifdef TL_HAVE_VULKAN_BACKEND
// A hardware Vulkan driver on Linux talks to a kernel device node: a DRM render node (Mesa's
// radv, anv, nvk, ...), NVIDIA's /dev/nvidia*, or WSL's /dev/dxg. Without one, only software
// devices (lavapipe) can exist, so the loader (tens of milliseconds, mostly loading lavapipe's
// LLVM) need not be asked.
bool may_have_gpu_device_node() {
  std::error_code ec;
  if (std::filesystem::exists("/dev/dxg", ec) || std::filesystem::exists("/dev/nvidia0", ec))
    return true;
  for (const auto& e : std::filesystem::directory_iterator("/dev/dri", ec))
    if (e.path().filename().string().starts_with("renderD")) return true;
  return false;
}
#endif

// `--device auto`: the choice (and the Vulkan probe behind it) waits for the first call that
// needs a backend, so a program without tensor ops never loads a Vulkan driver. Every Backend
// method forwards; a new virtual method of Backend must be forwarded here too (a pure one fails
// the build until it is).
class LazyBackend final : public Backend {
 public:
  std::string_view name() const override { return target().name(); }
  Tensor upload(const Shape& shape, DType dtype, std::span<const std::byte> data) override {
    return target().upload(shape, dtype, data);
  }
  Tensor upload_borrowed(const Shape& shape, DType dtype, std::span<const std::byte> data,
                         std::shared_ptr<const void> owner, bool file_mapped) override {
    return target().upload_borrowed(shape, dtype, data, std::move(owner), file_mapped);
  }
  void download(const Tensor& t, std::span<f16_bits> out) override { target().download(t, out); }
  Tensor full(const Shape& shape, float value) override { return target().full(shape, value); }
  Tensor dequantize(const Tensor& t) override { return target().dequantize(t); }
  Tensor unary(UnaryOp op, const Tensor& x) override { return target().unary(op, x); }
  Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) override {
    return target().binary(op, a, b);
  }
  Tensor binary_scalar(BinaryOp op, const Tensor& a, float s, bool scalar_on_left) override {
    return target().binary_scalar(op, a, s, scalar_on_left);
  }
  Tensor elementwise(const ElementwiseProgram& p, std::span<const ElementwiseArg> args) override {
    return target().elementwise(p, args);
  }
  Tensor matmul(const Tensor& a, const Tensor& b) override { return target().matmul(a, b); }
  Tensor linear(const Tensor& x, const Tensor& w, const Tensor* b) override {
    return target().linear(x, w, b);
  }
  Tensor reduce(ReduceOp op, const Tensor& x, std::optional<int> dim, bool keepdim) override {
    return target().reduce(op, x, dim, keepdim);
  }
  Tensor softmax(const Tensor& x, int dim) override { return target().softmax(x, dim); }
  Tensor rms_norm(const Tensor& x, const Tensor* weight, float eps) override {
    return target().rms_norm(x, weight, eps);
  }
  Tensor layer_norm(const Tensor& x, const Tensor* weight, const Tensor* bias, float eps) override {
    return target().layer_norm(x, weight, bias, eps);
  }
  Tensor permute(const Tensor& x, std::span<const int> perm) override {
    return target().permute(x, perm);
  }
  Tensor slice(const Tensor& x, std::span<const SliceAxis> axes) override {
    return target().slice(x, axes);
  }
  Tensor concat(std::span<const Tensor> xs, int dim) override { return target().concat(xs, dim); }
  std::vector<int64_t> arg_reduce(ArgOp op, const Tensor& x, std::optional<int> dim) override {
    return target().arg_reduce(op, x, dim);
  }
  void assign_slice(const Tensor& dst, std::span<const SliceAxis> axes,
                    const Tensor& src) override {
    target().assign_slice(dst, axes, src);
  }
  bool sole_owner(const Tensor& t) const override { return target().sole_owner(t); }
  Tensor embedding(const Tensor& table, std::span<const int64_t> ids) override {
    return target().embedding(table, ids);
  }
  Tensor rope(const Tensor& x, int64_t start, float theta, RopeMode mode) override {
    return target().rope(x, start, theta, mode);
  }
  Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, int64_t start,
                   float scale) override {
    return target().attention(q, k, v, start, scale);
  }
  // Nothing to wait for when no backend was ever made.
  void synchronize() override {
    if (chosen_) chosen_->synchronize();
  }

 private:
  Backend& target() const {
    if (!chosen_) chosen_ = choose();
    if (!chosen_)
      throw RuntimeError("tensor operations need a backend, and none is available in this build");
    return *chosen_;
  }
  static std::unique_ptr<Backend> choose() {
#ifdef TL_HAVE_VULKAN_BACKEND
    // On a CPU-only machine the CPU backend beats a software Vulkan device (lavapipe).
    if (may_have_gpu_device_node() && vk::has_gpu()) {
      try {
        return make_vulkan_backend();
      } catch (const std::exception& e) {
        std::cerr << "note: --device auto: the GPU cannot be used (" << e.what()
                  << "); running on the CPU\n";
      }
    }
#endif
    return make_cpu_backend();
  }
  mutable std::unique_ptr<Backend> chosen_;
};

}  // namespace

std::unique_ptr<Backend> make_backend(std::string_view device) {
  if (device == "vulkan") {
#ifdef TL_HAVE_VULKAN_BACKEND
    try {
      return make_vulkan_backend();
    } catch (const std::exception& e) {
      throw BackendUnavailable(std::string("cannot use Vulkan: ") + e.what());
    }
#else
    throw BackendUnavailable("the Vulkan device is not available in this build");
#endif
  }
  if (device == "auto") return std::make_unique<LazyBackend>();
  if (device == "cpu") return make_cpu_backend();
  throw std::invalid_argument("unknown device '" + std::string(device) +
                              "' (expected cpu, vulkan or auto)");
}

std::string describe_cpu_kernels() {
#ifdef TL_HAVE_CPU_BACKEND
  const cpu::CpuFeatures& f = cpu::host_cpu();
  const cpu::KernelChoice& k = cpu::host_kernels();
  std::string s = "cpu: " + (f.model.empty() ? std::string("(unknown model)") : f.model) + "\n";
  s += "cpu flags: " + f.flags() + "\n";
  s += "kernels: f16 conversion, f16/f32 GEMM and matrix-vector: " +
       std::string(cpu::isa_name(k.isa)) + "\n";
  s += "kernels: Q8_0/Q4_0 weights x Q8_0 activations: " + std::string(cpu::q8_kernel_name(k.isa)) +
       "\n";
  s +=
      "kernels: Q4_K/Q6_K weights x Q8_K activations: " + std::string(cpu::q8k_kernel_name(k.isa)) +
      "\n";
  s += std::string("kernels: a model's Q8_0/Q4_0/Q4_K weights: ") +
       (cpu::has_q8_tiles(cpu::Ctx{}) ? "repacked at first use into tiles of 16 rows (repack.h)"
                                      : "used in the file's layout") +
       "\n";
  s += "kernels: element-wise loops: compiler clones (avx512f, avx2, default) picked by the "
       "loader\n";
  s += "kernels: AMX: ";
  s += f.amx_int8 ? (f.amx_permitted ? "available, no AMX kernel yet (VNNI used)"
                                     : "refused by the OS (arch_prctl), VNNI used")
                  : "not on this CPU";
  s += "\n";
  if (const char* cap = std::getenv("TL_CPU_ISA")) s += std::string("TL_CPU_ISA=") + cap + "\n";
  return s;
#else
  return {};
#endif
}

}  // namespace tl
