// Helpers shared by the CPU backend tests: random f16 data, float64 references, tolerances.
//
// Tolerance convention: a result r (f16) is accepted against the exact value w (float64) when
//   |r - w| <= ulp_f16(w) + extra,
// where ulp_f16 is the spacing of f16 numbers at |w| (one rounding to f16 costs half of it) and
// `extra` bounds the f32 arithmetic before that rounding (stated per test, e.g.
// K * eps_f32 * sum|a_k b_k| for a dot product of length K).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "vm/cpu/cpu_backend.h"

#include "vm/cpu/cpu_features.h"

namespace tl::cpu_test {

// The kernel tiers this machine can run (the portable one first): tests run each.
inline std::vector<cpu::Isa> host_tiers() {
  std::vector<cpu::Isa> v;
  for (const char* cap : {"portable", "avx2", "avx512"}) {
    const cpu::Isa isa = cpu::choose_kernels(cpu::host_cpu(), cap).isa;
    if (v.empty() || v.back() != isa) v.push_back(isa);
  }
  return v;
}

inline constexpr double kEps32 = 1.1920928955078125e-07;  // 2^-23

struct Rng {
  std::mt19937_64 gen;
  explicit Rng(uint64_t seed) : gen(seed) {}
  double uniform(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(gen);
  }
  int64_t integer(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(gen);
  }
};

inline std::vector<f16_bits> random_f16(Rng& rng, int64_t n, double lo = -2.0, double hi = 2.0) {
  std::vector<f16_bits> v(static_cast<size_t>(n));
  for (auto& x : v) x = f64_to_f16(rng.uniform(lo, hi));
  return v;
}

inline std::vector<double> to_f64(const std::vector<f16_bits>& v) {
  std::vector<double> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = f16_to_f32(v[i]);
  return out;
}

inline double ulp_f16(double w) {
  const double a = std::fabs(w);
  if (a < std::ldexp(1.0, -14)) return std::ldexp(1.0, -24);
  const int e = std::min(15, static_cast<int>(std::floor(std::log2(a))));
  return std::ldexp(1.0, e - 10);
}

inline std::vector<f16_bits> download(Backend& be, const Tensor& t) {
  std::vector<f16_bits> out(static_cast<size_t>(t.numel()));
  be.download(t, out);
  return out;
}

// Checks every element against the float64 reference within ulp_f16(want) + extra[i].
inline void expect_close(const std::vector<f16_bits>& got, const std::vector<double>& want,
                         const std::vector<double>& extra, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int failures = 0;
  for (size_t i = 0; i < got.size() && failures < 5; ++i) {
    const double g = f16_to_f32(got[i]), w = want[i];
    bool ok;
    if (std::isnan(w))
      ok = std::isnan(g);
    else if (std::fabs(w) >= 65520.0)
      ok = std::isinf(g) && (g > 0) == (w > 0);
    else
      ok = std::fabs(g - w) <= ulp_f16(w) + (extra.empty() ? 0.0 : extra[i]);
    if (!ok) {
      ++failures;
      ADD_FAILURE() << what << ": element " << i << " is " << g << ", want " << w << " (tolerance "
                    << ulp_f16(w) + (extra.empty() ? 0.0 : extra[i]) << ")";
    }
  }
}

inline void expect_bits_equal(const std::vector<f16_bits>& a, const std::vector<f16_bits>& b,
                              const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) {
      FAIL() << what << ": element " << i << " differs: " << f16_to_f32(a[i]) << " vs "
             << f16_to_f32(b[i]);
    }
}

inline CpuBackend& reference_backend() {
  static CpuBackend be(CpuOptions{1, false});
  return be;
}
inline CpuBackend& fast_backend() {
  static CpuBackend be(CpuOptions{2, true});
  return be;
}

// Row-major strides of dims.
inline std::vector<int64_t> strides_of(const std::vector<int64_t>& d) {
  std::vector<int64_t> s(d.size());
  int64_t acc = 1;
  for (size_t i = d.size(); i-- > 0;) {
    s[i] = acc;
    acc *= d[i];
  }
  return s;
}

// Offset into a (right-aligned, broadcast) operand of shape `s` for the output index `idx`.
inline int64_t broadcast_offset(const std::vector<int64_t>& idx, const std::vector<int64_t>& s) {
  const auto st = strides_of(s);
  int64_t off = 0;
  const size_t shift = idx.size() - s.size();
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] != 1) off += idx[shift + i] * st[i];
  return off;
}

inline std::vector<int64_t> unravel(int64_t i, const std::vector<int64_t>& dims) {
  std::vector<int64_t> idx(dims.size());
  for (size_t d = dims.size(); d-- > 0;) {
    idx[d] = i % dims[d];
    i /= dims[d];
  }
  return idx;
}

// linear of x through a borrowed weight (a model's, repacked where the CPU has the tiles) against
// the same weight copied (the file's layout), without and with `bias`: within one f16 rounding.
inline void expect_borrowed_linear_matches_copied(CpuBackend& be, const Tensor& x,
                                                  const Tensor& borrowed, const Tensor& copied,
                                                  const Tensor& bias) {
  for (const Tensor* b : {static_cast<const Tensor*>(nullptr), &bias}) {
    const auto want = to_f64(download(be, be.linear(x, copied, b)));
    const auto got = to_f64(download(be, be.linear(x, borrowed, b)));
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_NEAR(got[i], want[i], ulp_f16(want[i]))
          << "rows " << x.shape[0] << " i " << i << (b ? " with a bias" : "");
  }
}

}  // namespace tl::cpu_test
