// float64 references of the language-model ops (RoPE, attention) and random quantized embedding
// tables, shared by the CPU and Vulkan tests: one definition of what each op means.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstring>
#include <random>
#include <vector>

#include "tests/common/ggml_blocks.h"
#include "vm/core/dtype.h"
#include "vm/core/half.h"
#include "vm/tensor/backend.h"

namespace tl::test {

// RoPE of x [T, H, hd] (values as doubles) with exact angles (start + t) * base^(-2i/hd).
inline std::vector<double> rope64(const std::vector<double>& x, int64_t T, int64_t H, int64_t hd,
                                  int64_t start, double base, RopeMode mode) {
  std::vector<double> y(x.size());
  const int64_t half = hd / 2;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < half; ++i) {
        const double angle = static_cast<double>(start + t) * std::pow(base, -2.0 * i / hd);
        const int64_t o = (t * H + h) * hd;
        const int64_t a = o + (mode == RopeMode::Norm ? 2 * i : i);
        const int64_t b = o + (mode == RopeMode::Norm ? 2 * i + 1 : i + half);
        y[a] = x[a] * std::cos(angle) - x[b] * std::sin(angle);
        y[b] = x[a] * std::sin(angle) + x[b] * std::cos(angle);
      }
  return y;
}

// Causal GQA attention: q [T, H, hd], k and v [S, Hkv, hd]; query t attends to keys 0..start+t.
inline std::vector<double> attention64(const std::vector<double>& q, const std::vector<double>& k,
                                       const std::vector<double>& v, int64_t T, int64_t H,
                                       int64_t Hkv, int64_t hd, int64_t start, double scale) {
  std::vector<double> y(static_cast<size_t>(T * H * hd));
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t g = h / (H / Hkv), n = start + t + 1;
      std::vector<double> s(static_cast<size_t>(n));
      double m = -INFINITY, sum = 0;
      for (int64_t r = 0; r < n; ++r) {
        double dot = 0;
        for (int64_t i = 0; i < hd; ++i) dot += q[(t * H + h) * hd + i] * k[(r * Hkv + g) * hd + i];
        s[r] = dot * scale;
        m = std::max(m, s[r]);
      }
      for (double& e : s) sum += (e = std::exp(e - m));
      for (int64_t i = 0; i < hd; ++i) {
        double acc = 0;
        for (int64_t r = 0; r < n; ++r) acc += s[r] * v[(r * Hkv + g) * hd + i];
        y[(t * H + h) * hd + i] = acc / sum;
      }
    }
  return y;
}

// `rows` rows of `cols` elements in ggml block format `type`: random bytes with every f16 scale
// field set to a finite value in [0.001, 0.05] (the rest of a block is valid for any bits).
inline std::vector<std::byte> random_quant_rows(DType type, int64_t rows, int64_t cols,
                                                uint64_t seed) {
  const DTypeInfo& info = dtype_info(type);
  const int64_t blocks = rows * cols / info.block_elems;
  std::vector<std::byte> out(static_cast<size_t>(blocks * info.block_bytes));
  std::mt19937_64 gen(seed);
  for (auto& b : out) b = static_cast<std::byte>(gen() & 0xff);
  const std::vector<int> scale_offsets = test::ggml_f16_scale_offsets(type);
  std::uniform_real_distribution<double> scale(0.001, 0.05);
  for (int64_t b = 0; b < blocks; ++b)
    for (int off : scale_offsets) {
      const f16_bits d = f64_to_f16(scale(gen));
      std::memcpy(&out[static_cast<size_t>(b * info.block_bytes + off)], &d, 2);
    }
  return out;
}

}  // namespace tl::test
