// Products checked against float64 on any backend (the reference and the fast paths share them).
// Bound per element: K * eps_f32 * sum_k |a_k b_k| (f32 accumulation of K terms) on top of one
// f16 rounding of the result.
#pragma once

#include <algorithm>
#include <string>

#include "tests/cpu/test_util.h"

namespace tl::cpu_test {

// float64 matmul with NumPy semantics, and the per-element bound K*eps_f32*sum|a_k b_k|.
inline void matmul64(const Shape& sa, const std::vector<f16_bits>& a, const Shape& sb,
                     const std::vector<f16_bits>& b, std::vector<double>& want,
                     std::vector<double>& extra) {
  std::vector<int64_t> da = sa.dims(), db = sb.dims();
  if (da.size() == 1) da.insert(da.begin(), 1);
  if (db.size() == 1) db.push_back(1);
  const int64_t M = da[da.size() - 2], K = da.back(), N = db.back();
  const std::vector<int64_t> ba(da.begin(), da.end() - 2), bb(db.begin(), db.end() - 2);
  const Shape batch = broadcast_shapes(Shape(ba), Shape(bb), "@");
  for (int64_t bi = 0; bi < batch.numel(); ++bi) {
    const auto idx = unravel(bi, batch.dims());
    const int64_t oa = broadcast_offset(idx, ba) * M * K, ob = broadcast_offset(idx, bb) * K * N;
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double s = 0, sabs = 0;
        for (int64_t k = 0; k < K; ++k) {
          const double t = double(f16_to_f32(a[oa + i * K + k])) * f16_to_f32(b[ob + k * N + j]);
          s += t;
          sabs += std::fabs(t);
        }
        want.push_back(s);
        extra.push_back(K * kEps32 * sabs);
      }
  }
}

inline void check_matmul(Backend& backend, const Shape& sa, const Shape& sb, uint64_t seed) {
  Rng rng(seed);
  const auto a = random_f16(rng, sa.numel()), b = random_f16(rng, sb.numel());
  CpuBackend& cb = static_cast<CpuBackend&>(backend);
  const Tensor y = cb.matmul(cb.upload_f16(sa, a), cb.upload_f16(sb, b));
  EXPECT_EQ(y.shape, matmul_shape(sa, sb));
  std::vector<double> want, extra;
  matmul64(sa, a, sb, b, want, extra);
  expect_close(download(cb, y), want, extra,
               std::string(cb.name()) + " matmul " + sa.to_string() + " @ " + sb.to_string());
}

inline void check_linear(Backend& backend, const Shape& sx, int64_t out, bool bias, uint64_t seed) {
  Rng rng(seed);
  CpuBackend& cb = static_cast<CpuBackend&>(backend);
  const int64_t in = sx[sx.rank() - 1];
  const auto x = random_f16(rng, sx.numel()), w = random_f16(rng, out * in),
             b = random_f16(rng, out);
  const Tensor tb = cb.upload_f16({out}, b);
  const Tensor y =
      cb.linear(cb.upload_f16(sx, x), cb.upload_f16({out, in}, w), bias ? &tb : nullptr);
  std::vector<int64_t> od = sx.dims();
  od.back() = out;
  EXPECT_EQ(y.shape, Shape(od));
  std::vector<double> want, extra;
  for (int64_t r = 0; r < sx.numel() / std::max<int64_t>(in, 1); ++r)
    for (int64_t o = 0; o < out; ++o) {
      double s = bias ? f16_to_f32(b[o]) : 0.0, sabs = std::fabs(s);
      for (int64_t k = 0; k < in; ++k) {
        const double t = double(f16_to_f32(x[r * in + k])) * f16_to_f32(w[o * in + k]);
        s += t;
        sabs += std::fabs(t);
      }
      want.push_back(s);
      extra.push_back((in + 1) * kEps32 * sabs);
    }
  expect_close(
      download(cb, y), want, extra,
      std::string(cb.name()) + " linear " + sx.to_string() + " out " + std::to_string(out));
}

}  // namespace tl::cpu_test
