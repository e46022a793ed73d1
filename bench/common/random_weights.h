// Random weights for the CPU backend's benches (bench/cpu, bench/ggml): the kernels' speed does
// not depend on the values.
#pragma once

#include <cstring>
#include <random>
#include <vector>

#include "vm/core/dtype.h"
#include "vm/core/half.h"

namespace tl::bench {

// n values uniform in [-1, 1], as f16.
inline std::vector<f16_bits> random_f16(int64_t n, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<f16_bits> v(static_cast<size_t>(n));
  for (auto& x : v) x = f32_to_f16(u(g));
  return v;
}

// n values as Q8_0 / Q4_0 / Q4_K / Q6_K blocks: random quants, every block's scales 0.01.
inline std::vector<std::byte> random_blocks(DType t, int64_t n, uint64_t seed) {
  const auto& info = dtype_info(t);
  std::vector<std::byte> b(static_cast<size_t>(n / info.block_elems * info.block_bytes));
  std::mt19937_64 g(seed);
  for (auto& x : b) x = static_cast<std::byte>(g());
  // The f16 scales are set finite: ggml puts d first (Q6_K: last), Q4_K's dmin next to it.
  const f16_bits d = f32_to_f16(0.01f);
  const size_t d_at = t == DType::Q6_K ? 208 : 0;
  for (size_t i = 0; i < b.size(); i += info.block_bytes) {
    std::memcpy(&b[i + d_at], &d, 2);
    if (t == DType::Q4_K) std::memcpy(&b[i + 2], &d, 2);
  }
  return b;
}

// n values of type t (F16, Q8_0, Q4_0, Q4_K or Q6_K) as the bytes a model file would hold.
inline std::vector<std::byte> random_weight_bytes(DType t, int64_t n, uint64_t seed) {
  if (t != DType::F16) return random_blocks(t, n, seed);
  const auto v = random_f16(n, seed);
  std::vector<std::byte> b(v.size() * sizeof(f16_bits));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

}  // namespace tl::bench
