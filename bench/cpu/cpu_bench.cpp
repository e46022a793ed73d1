// Google Benchmark figures for the CPU backend at LLM-like shapes (f16 storage, f32 math):
//   matmul:  [512, 4096] @ [4096, 4096]        (a prompt of 512 tokens through a 4096x4096 layer)
//   linear:  same product with W stored [out, in] (nn.Linear / GGUF layout)
//   matvec:  linear() of one row through W [4096, 4096] in F16, Q8_0, Q4_0, Q4_K, Q6_K (one
//            decoded token);
//            and through W [4096, 14336] with >= 1 GiB of copies in turn (weights from DRAM)
//   triad:   STREAM-like a = b + s*c, the machine's memory bandwidth
//   elementwise: gelu(x * s + b) and silu(g) * u (an MLP's activations) at [512, 4096] and
//            [1, 14336], fused (one Backend::elementwise call) against the same program run
//            step by step (the base-class default: one unary/binary call per op).
// Counters: GFLOP/s = 2*M*N*K / time; GB/s = bytes of weights streamed / time; for elementwise,
// GB/s = the bytes the fused form must move (inputs read once, the result written once) / time,
// for both variants, so that the two rates compare the same work.
// The machine is shared, so wall-clock rates fall with its load; cpu_GFLOP/s divides the work by
// the CPU time of the whole process (all threads) and multiplies by the thread count: what the
// threads achieve while they actually run (an estimate of the unloaded rate).
// bench/cpu/compare.py runs this and numpy_matmul.py and prints one table.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "bench/common/kernel_timer.h"
#include "bench/common/random_weights.h"
#include "vm/cpu/cpu_backend.h"
#include "vm/tensor/elementwise.h"

namespace {

using tl::CpuBackend;
using tl::CpuOptions;
using tl::DType;
using tl::Shape;
using tl::Tensor;

using kernel_bench::process_cpu_seconds;
using tl::bench::random_blocks;
using tl::bench::random_f16;

// Runs the timed loop and sets the CPU-time-based counters (see the header comment).
template <class Body>
void run(benchmark::State& state, const CpuBackend& be, double flops, double weight_bytes,
         Body body) {
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) body();
  const double cpu = process_cpu_seconds() - cpu0;
  const double iters = static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(
      flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
  if (weight_bytes > 0)
    state.counters["weights_GB/s"] = benchmark::Counter(
        weight_bytes, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
  state.counters["cpu_GFLOP/s"] = flops * iters / cpu * be.threads() / 1e9;
  if (weight_bytes > 0)
    state.counters["cpu_weights_GB/s"] = weight_bytes * iters / cpu * be.threads() / 1e9;
  state.counters["threads"] = be.threads();
}

void BM_Matmul(benchmark::State& state) {
  const int64_t M = state.range(0), K = state.range(1), N = state.range(2);
  CpuBackend be(CpuOptions{});
  const Tensor a = be.upload_f16({M, K}, random_f16(M * K, 1));
  const Tensor b = be.upload_f16({K, N}, random_f16(K * N, 2));
  run(state, be, 2.0 * M * N * K, 0, [&] { benchmark::DoNotOptimize(be.matmul(a, b)); });
}

void BM_Linear(benchmark::State& state) {
  const int64_t M = state.range(0), K = state.range(1), N = state.range(2);
  const auto type = static_cast<DType>(state.range(3));
  CpuBackend be(CpuOptions{});
  const Tensor x = be.upload_f16({M, K}, random_f16(M * K, 1));
  const std::vector<std::byte> wbytes = tl::bench::random_weight_bytes(type, N * K, 2);
  const Tensor w = be.upload({N, K}, type, wbytes);
  run(state, be, 2.0 * M * N * K, static_cast<double>(wbytes.size()),
      [&] { benchmark::DoNotOptimize(be.linear(x, w, nullptr)); });
  state.SetLabel(std::string(tl::dtype_name(type)));
}

// Matrix-vector with weights streamed from DRAM: enough copies of W [N, K] that together they
// exceed the last-level cache (at least 1 GiB and twice the cache: kernel_bench::dram_copies),
// used in turn. state.range: K, N, dtype, and 1 where the
// weights are borrowed, as a model's mapped weights are (Q8_0/Q4_0: repacked at their first
// product, before the timing).
void BM_MatvecDram(benchmark::State& state) {
  const int64_t K = state.range(0), N = state.range(1);
  const auto type = static_cast<DType>(state.range(2));
  const bool borrowed = state.range(3) != 0;
  CpuBackend be(CpuOptions{});
  const Tensor x = be.upload_f16({1, K}, random_f16(K, 1));
  const int64_t bytes = static_cast<int64_t>(*tl::dtype_bytes(type, static_cast<uint64_t>(N * K)));
  const int64_t copies = kernel_bench::dram_copies(bytes);
  // Distinct buffers with the same values: the kernels' speed does not depend on them.
  const std::vector<tl::f16_bits> wf =
      type == DType::F16 ? random_f16(N * K, 2) : std::vector<tl::f16_bits>{};
  const std::vector<std::byte> wq =
      type == DType::F16 ? std::vector<std::byte>{} : random_blocks(type, N * K, 2);
  std::vector<Tensor> ws;
  for (int64_t c = 0; c < copies; ++c) {
    if (borrowed && type != DType::F16) {
      auto owner = std::make_shared<std::vector<std::byte>>(wq);
      ws.push_back(be.upload_borrowed({N, K}, type, *owner, owner));
      benchmark::DoNotOptimize(be.linear(x, ws.back(), nullptr));
    } else {
      ws.push_back(type == DType::F16 ? be.upload_f16({N, K}, wf) : be.upload({N, K}, type, wq));
    }
  }
  size_t next = 0;
  run(state, be, 2.0 * N * K, static_cast<double>(bytes), [&] {
    benchmark::DoNotOptimize(be.linear(x, ws[next], nullptr));
    next = (next + 1) % ws.size();
  });
  state.SetLabel(std::string(tl::dtype_name(type)) + ", " + std::to_string(copies) + " copies" +
                 (borrowed && type != DType::F16 ? ", repacked" : ""));
}

// STREAM-like triad a[i] = b[i] + s * c[i] over three 256 MiB f32 arrays on every thread of the
// pool: the memory bandwidth the matrix-vector figures are read against (24 bytes per element,
// as STREAM counts).
void BM_Triad(benchmark::State& state) {
  CpuBackend be(CpuOptions{});
  const int threads = be.threads();
  const int64_t n = (int64_t{256} << 20) / 4;
  std::vector<float> a(static_cast<size_t>(n)), b(static_cast<size_t>(n), 1.0f),
      c(static_cast<size_t>(n), 2.0f);
  auto pass = [&] {
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
        const int64_t i0 = n * t / threads, i1 = n * (t + 1) / threads;
        for (int64_t i = i0; i < i1; ++i) a[i] = b[i] + 3.0f * c[i];
      });
    for (auto& th : ts) th.join();
  };
  pass();  // touch every page first
  for (auto _ : state) {
    pass();
    benchmark::DoNotOptimize(a.data());
  }
  state.counters["GB/s"] = benchmark::Counter(
      24.0 * n, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
  state.counters["threads"] = threads;
}

// state.range: chain (0: gelu(x * s + b), 1: silu(g) * u), rows, cols, fused (0/1), threads
// (0: all).
void BM_Elementwise(benchmark::State& state) {
  using P = tl::ElementwiseProgram;
  const int64_t chain = state.range(0), R = state.range(1), C = state.range(2);
  const bool fused = state.range(3) != 0;
  CpuBackend be(CpuOptions{.threads = static_cast<int>(state.range(4))});
  const Tensor x = be.upload_f16({R, C}, random_f16(R * C, 1));
  P p;
  std::vector<tl::ElementwiseArg> args;
  double bytes = 0;
  if (chain == 0) {
    const Tensor b = be.upload_f16({C}, random_f16(C, 2));
    p = P{{P::InputKind::Tensor, P::InputKind::Scalar, P::InputKind::Tensor},
          {{P::StepKind::Binary, static_cast<uint8_t>(tl::BinaryOp::Mul), 0, 1},
           {P::StepKind::Binary, static_cast<uint8_t>(tl::BinaryOp::Add), 3, 2},
           {P::StepKind::Unary, static_cast<uint8_t>(tl::UnaryOp::Gelu), 4, 0}}};
    args = {tl::ElementwiseArg::of(x), tl::ElementwiseArg::of(0.7f), tl::ElementwiseArg::of(b)};
    bytes = 2.0 * (2 * R * C + C);
  } else {
    const Tensor u = be.upload_f16({R, C}, random_f16(R * C, 2));
    p = P{{P::InputKind::Tensor, P::InputKind::Tensor},
          {{P::StepKind::Unary, static_cast<uint8_t>(tl::UnaryOp::Silu), 0, 0},
           {P::StepKind::Binary, static_cast<uint8_t>(tl::BinaryOp::Mul), 2, 1}}};
    args = {tl::ElementwiseArg::of(x), tl::ElementwiseArg::of(u)};
    bytes = 2.0 * 3 * R * C;
  }
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state)
    benchmark::DoNotOptimize(fused ? be.elementwise(p, args) : be.Backend::elementwise(p, args));
  const double cpu = process_cpu_seconds() - cpu0;
  state.counters["GB/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
  state.counters["cpu_GB/s"] =
      bytes * static_cast<double>(state.iterations()) / cpu * be.threads() / 1e9;
  state.counters["threads"] = be.threads();
  state.SetLabel(std::string(chain == 0 ? "gelu(x*s+b)" : "silu(g)*u") +
                 (fused ? " fused" : " stepwise"));
}

constexpr int64_t kF16 = static_cast<int64_t>(DType::F16);
constexpr int64_t kQ8 = static_cast<int64_t>(DType::Q8_0);
constexpr int64_t kQ4 = static_cast<int64_t>(DType::Q4_0);
constexpr int64_t kQ4K = static_cast<int64_t>(DType::Q4_K);
constexpr int64_t kQ6K = static_cast<int64_t>(DType::Q6_K);

BENCHMARK(BM_Matmul)
    ->Args({512, 4096, 4096})
    ->Args({1024, 1024, 1024})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Linear)
    ->Args({512, 4096, 4096, kF16})
    ->Args({1, 4096, 4096, kF16})
    ->Args({1, 4096, 4096, kQ8})
    ->Args({1, 4096, 4096, kQ4})
    ->Args({1, 4096, 4096, kQ4K})
    ->Args({1, 4096, 4096, kQ6K})
    // A 128-token prompt through TinyLlama's FFN up/gate projection (prefill).
    ->Args({128, 2048, 5632, kF16})
    ->Args({128, 2048, 5632, kQ8})
    ->Args({128, 2048, 5632, kQ4})
    ->Args({128, 2048, 5632, kQ4K})
    ->Args({128, 2048, 5632, kQ6K})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

BENCHMARK(BM_MatvecDram)
    ->Args({14336, 4096, kF16, 0})
    ->Args({14336, 4096, kQ8, 0})
    ->Args({14336, 4096, kQ4, 0})
    ->Args({14336, 4096, kQ8, 1})
    ->Args({14336, 4096, kQ4, 1})
    ->Args({14336, 4096, kQ4K, 0})
    ->Args({14336, 4096, kQ6K, 0})
    ->Args({2048, 5632, kF16, 0})  // TinyLlama's FFN up/gate: short rows
    ->Args({2048, 5632, kQ8, 0})
    ->Args({2048, 5632, kQ8, 1})
    ->Args({2048, 5632, kQ4, 1})
    ->Args({2048, 5632, kQ4K, 0})
    ->Args({2048, 5632, kQ6K, 0})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_Triad)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK(BM_Elementwise)
    ->ArgsProduct({{0, 1}, {512}, {4096}, {0, 1}, {0, 1}})
    ->ArgsProduct({{0, 1}, {1}, {14336}, {0, 1}, {1}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
