// TL's side of bench/ggml: one product y = x W^T through the CPU backend's public `linear`, timed
// by the loop ggml's side uses (bench/common/kernel_timer.h). The weights are uploaded as
// borrowed buffers, as a mapped model's are, so that Q8_0/Q4_0/Q4_K weights are repacked at their
// first product (during the warm-up) exactly as when a model runs; activations are f16, TL's
// storage type.
//
// usage: tl_kernel_bench TYPE M N K THREADS SECONDS
//   TYPE f16, q8_0, q4_0, q4_k or q6_k; W [M, K]; x [N, K]; N = 1 rotates through copies of W that
//   together exceed the last-level cache (kernel_bench::copies).
// Prints one JSON line (kernel_bench::time_and_print).
#include <cstdio>
#include <memory>
#include <vector>

#include "bench/common/kernel_timer.h"
#include "bench/common/random_weights.h"
#include "vm/cpu/cpu_backend.h"

int main(int argc, char** argv) {
  kernel_bench::Work w;
  if (!kernel_bench::parse(argc, argv, 1, w)) {
    std::fprintf(stderr, "usage: tl_kernel_bench f16|q8_0|q4_0|q4_k|q6_k M N K THREADS SECONDS\n");
    return 2;
  }
  const tl::DType type = w.dtype;
  tl::CpuBackend be(tl::CpuOptions{.threads = w.threads});
  const tl::Tensor x = be.upload_f16({w.n, w.k}, tl::bench::random_f16(w.n * w.k, 1));
  const std::vector<std::byte> bytes = tl::bench::random_weight_bytes(type, w.m * w.k, 2);
  std::vector<tl::Tensor> ws;
  const int64_t copies = kernel_bench::copies(w);
  for (int64_t c = 0; c < copies; ++c) {
    auto owner = std::make_shared<const std::vector<std::byte>>(bytes);
    ws.push_back(be.upload_borrowed({w.m, w.k}, type, *owner, owner));
  }
  kernel_bench::time_and_print("TL", w, copies,
                               [&](int64_t c) { (void)be.linear(x, ws[c], nullptr); });
  return 0;
}
