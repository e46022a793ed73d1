// GFLOP/s of the Vulkan kernels at LLM shapes, on the selected device (TL_VULKAN_DEVICE=N):
//   matmul  [512, 4096] @ [4096, 14336]            (prefill of a 14336-wide FFN, 2*M*N*K flops)
//   linear  x[1, 4096], W[14336, 4096] (f16, Q8_0, Q4_0)   (decode: the ggml mul_mat_vec shape)
//   matmul  [4096] @ [4096, 14336]                 (vector @ matrix, column kernel)
// Usage: tl_vulkan_bench [--quick]   (--quick: N = 2048, for tuning)
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <random>
#include <vector>

#include "vm/vulkan/vulkan_backend.h"

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::byte> random_f16(int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<std::byte> out(n * 2);
  for (int64_t i = 0; i < n; ++i) {
    const tl::f16_bits h = tl::f32_to_f16(d(rng));
    std::memcpy(out.data() + i * 2, &h, 2);
  }
  return out;
}

std::vector<std::byte> random_blocks(tl::DType t, int64_t n, std::mt19937& rng) {
  const auto& info = tl::dtype_info(t);
  std::vector<std::byte> out(n / info.block_elems * info.block_bytes);
  std::uniform_int_distribution<int> b(0, 255);
  for (auto& x : out) x = static_cast<std::byte>(b(rng));
  const tl::f16_bits d = tl::f32_to_f16(0.01f);
  for (size_t i = 0; i < out.size(); i += info.block_bytes) std::memcpy(out.data() + i, &d, 2);
  return out;
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Timing {
  double wall, cpu;  // seconds per call; cpu: this process's CPU time (all of lavapipe's threads)
};

// Per call of f, after one warm-up call that also builds the pipeline. The CPU-time column makes
// lavapipe figures comparable on a shared machine: wall time depends on what else runs.
template <class F>
Timing time_it(tl::Backend& be, F&& f, int reps) {
  f();
  be.synchronize();
  const auto t0 = Clock::now();
  const double c0 = cpu_seconds();
  for (int i = 0; i < reps; ++i) f();
  be.synchronize();
  return {std::chrono::duration<double>(Clock::now() - t0).count() / reps,
          (cpu_seconds() - c0) / reps};
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  tl::VulkanBackend be;
  fmt::print("device: {} ({})\n", be.device().info().name,
             tl::vk::device_type_name(be.device().info().type));
  std::mt19937 rng(7);
  const int64_t M = 512, K = 4096, N = quick ? 2048 : 14336;
  fmt::print("{:<44} {:>10} {:>10} {:>12}\n", "op", "wall ms", "GFLOP/s", "GFLOP/cpu-s");
  auto row = [](const std::string& name, Timing t, double flops) {
    fmt::print("{:<44} {:>10.2f} {:>10.2f} {:>12.2f}\n", name, t.wall * 1e3, flops / t.wall * 1e-9,
               flops / t.cpu * 1e-9);
  };
  {
    const tl::Tensor a = be.upload(tl::Shape{M, K}, tl::DType::F16, random_f16(M * K, rng));
    const tl::Tensor b = be.upload(tl::Shape{K, N}, tl::DType::F16, random_f16(K * N, rng));
    const Timing s = time_it(
        be, [&] { be.matmul(a, b); }, quick ? 2 : 1);
    row(fmt::format("matmul [{},{}]@[{},{}] f16", M, K, K, N), s, 2.0 * M * N * K);
  }
  const tl::Tensor x = be.upload(tl::Shape{1, K}, tl::DType::F16, random_f16(K, rng));
  for (tl::DType t : {tl::DType::F16, tl::DType::Q8_0, tl::DType::Q4_0}) {
    const auto data = t == tl::DType::F16 ? random_f16(N * K, rng) : random_blocks(t, N * K, rng);
    const tl::Tensor w = be.upload(tl::Shape{N, K}, t, data);
    const Timing s = time_it(
        be, [&] { be.linear(x, w, nullptr); }, 10);
    row(fmt::format("linear x[1,{}] W[{},{}] {}", K, N, K, tl::dtype_name(t)), s, 2.0 * N * K);
  }
  {
    const tl::Tensor v = be.upload(tl::Shape{K}, tl::DType::F16, random_f16(K, rng));
    const tl::Tensor b = be.upload(tl::Shape{K, N}, tl::DType::F16, random_f16(K * N, rng));
    const Timing s = time_it(
        be, [&] { be.matmul(v, b); }, 10);
    row(fmt::format("matmul [{}]@[{},{}] f16", K, K, N), s, 2.0 * N * K);
  }
  return 0;
}
