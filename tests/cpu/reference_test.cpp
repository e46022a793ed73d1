// The reference kernels (CpuOptions::use_fast_paths = false) against float64 computations.
// Tolerances: see test_util.h; each test states its `extra` term.
#include <algorithm>
#include <limits>
#include <numeric>

#include "tests/common/reference64.h"
#include "tests/cpu/products.h"
#include "tests/cpu/test_util.h"
#include "vm/cpu/kernels.h"

namespace tl::cpu_test {
namespace {

using test::binary64;
using test::unary64;

CpuBackend& be() {
  return reference_backend();
}

Tensor up(const Shape& s, const std::vector<f16_bits>& v) {
  return be().upload_f16(s, v);
}

TEST(Reference, UploadDownloadFull) {
  Rng rng(1);
  const auto v = random_f16(rng, 35);
  EXPECT_EQ(download(be(), up({5, 7}, v)), v);
  const auto f = download(be(), be().full({2, 3}, 1.5f));
  EXPECT_EQ(f, std::vector<f16_bits>(6, f32_to_f16(1.5f)));
  EXPECT_TRUE(download(be(), be().full({0, 3}, 1.0f)).empty());
  EXPECT_EQ(download(be(), be().full({}, -2.0f)), std::vector<f16_bits>{f32_to_f16(-2.0f)});
}

TEST(Reference, UnaryOpsAgainstFloat64) {
  Rng rng(2);
  const UnaryOp ops[] = {
#define X(e, s) UnaryOp::e,
      TL_UNARY_OPS(X)
#undef X
  };
  for (UnaryOp op : ops) {
    const double lo = op == UnaryOp::Log || op == UnaryOp::Sqrt ? 0.001 : -8.0;
    const auto x = random_f16(rng, 1000, lo, 8.0);
    std::vector<double> want, extra;
    for (double v : to_f64(x)) {
      want.push_back(unary64(op, v));
      // f32 evaluation: a few eps_f32 relative; gelu's 1 + tanh cancels, bounded by |x|.
      extra.push_back(4 * kEps32 *
                      (std::fabs(want.back()) + (op == UnaryOp::Gelu ? std::fabs(v) : 0)));
    }
    expect_close(download(be(), be().unary(op, up({10, 100}, x))), want, extra,
                 std::string(op_name(op)));
  }
}

TEST(Reference, GeluMatchesPyTorchTanhApproximation) {
  // torch.nn.functional.gelu(torch.tensor([-3., -1., -0.5, 0., 0.5, 1., 3.]), approximate='tanh')
  const std::vector<double> x = {-3, -1, -0.5, 0, 0.5, 1, 3};
  const std::vector<double> torch = {-0.0036373, -0.1588080, -0.1542860, 0.0,
                                     0.3457140,  0.8411920,  2.9963627};
  std::vector<f16_bits> xh;
  for (double v : x) xh.push_back(f64_to_f16(v));
  expect_close(download(be(), be().unary(UnaryOp::Gelu, up({7}, xh))), torch,
               std::vector<double>(7, 1e-6), "gelu");
}

TEST(Reference, BinaryOpsBroadcastAgainstFloat64) {
  Rng rng(3);
  const BinaryOp ops[] = {
#define X(e, s) BinaryOp::e,
      TL_BINARY_OPS(X)
#undef X
  };
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> shapes = {
      {{3, 1, 5}, {4, 5}}, {{7}, {7}}, {{2, 3}, {}}, {{1}, {4, 1, 3}}, {{6, 1}, {1, 9}}};
  for (BinaryOp op : ops)
    for (const auto& [sa, sb] : shapes) {
      const bool pos = op == BinaryOp::Pow;
      const Shape A(sa), B(sb);
      const auto a = random_f16(rng, A.numel(), pos ? 0.25 : -4, 4);
      const auto b = random_f16(rng, B.numel(), pos ? -3 : -4, 4);
      const Shape out = broadcast_shapes(A, B, "op");
      std::vector<double> want, extra;
      for (int64_t i = 0; i < out.numel(); ++i) {
        const auto idx = unravel(i, out.dims());
        const double va = f16_to_f32(a[broadcast_offset(idx, sa)]);
        const double vb = f16_to_f32(b[broadcast_offset(idx, sb)]);
        want.push_back(binary64(op, va, vb));
        extra.push_back(4 * kEps32 * std::fabs(want.back()));
      }
      const auto got = download(be(), be().binary(op, up(A, a), up(B, b)));
      expect_close(got, want, extra,
                   std::string(op_name(op)) + " " + A.to_string() + B.to_string());
    }
}

TEST(Reference, FloorModSemantics) {
  // Python: 7 % -3 == -2, -7 % 3 == 2, -7 % -3 == -1, 5.5 % 2 == 1.5; x % 0 is NaN (NumPy).
  const std::vector<f16_bits> a = {f32_to_f16(7), f32_to_f16(-7), f32_to_f16(-7), f32_to_f16(5.5),
                                   f32_to_f16(1)};
  const std::vector<f16_bits> b = {f32_to_f16(-3), f32_to_f16(3), f32_to_f16(-3), f32_to_f16(2),
                                   f32_to_f16(0)};
  const auto got = download(be(), be().binary(BinaryOp::Mod, up({5}, a), up({5}, b)));
  EXPECT_EQ(f16_to_f32(got[0]), -2.0f);
  EXPECT_EQ(f16_to_f32(got[1]), 2.0f);
  EXPECT_EQ(f16_to_f32(got[2]), -1.0f);
  EXPECT_EQ(f16_to_f32(got[3]), 1.5f);
  EXPECT_TRUE(std::isnan(f16_to_f32(got[4])));
}

TEST(Reference, BinaryScalarBothSides) {
  Rng rng(4);
  const auto a = random_f16(rng, 33, 0.5, 4);
  for (bool left : {false, true}) {
    std::vector<double> want, extra;
    for (double v : to_f64(a)) {
      want.push_back(left ? binary64(BinaryOp::Sub, 3.0, v) / 1.0
                          : binary64(BinaryOp::Sub, v, 3.0));
      extra.push_back(0);
    }
    expect_close(download(be(), be().binary_scalar(BinaryOp::Sub, up({33}, a), 3.0f, left)), want,
                 extra, left ? "3 - a" : "a - 3");
  }
  std::vector<double> want;
  for (double v : to_f64(a)) want.push_back(std::pow(2.0, v));
  expect_close(download(be(), be().binary_scalar(BinaryOp::Pow, up({33}, a), 2.0f, true)), want, {},
               "2 ** a");
}

TEST(Reference, MatmulShapes) {
  const std::vector<std::pair<Shape, Shape>> cases = {{{7, 33}, {33, 5}},
                                                      {{1, 1}, {1, 1}},
                                                      {{2, 3, 4, 5}, {5, 6}},
                                                      {{3, 1, 4, 5}, {2, 5, 7}},
                                                      {{5}, {5, 3}},
                                                      {{4, 5}, {5}},
                                                      {{5}, {5}},
                                                      {{2, 4, 5}, {5}},
                                                      {{5}, {3, 5, 2}},
                                                      {{0, 4}, {4, 5}},
                                                      {{3, 0}, {0, 4}},
                                                      {{2, 0, 3}, {3, 2}}};
  uint64_t seed = 10;
  for (const auto& [sa, sb] : cases) check_matmul(be(), sa, sb, seed++);
}

TEST(Reference, Linear) {
  check_linear(be(), {3, 17}, 9, true, 20);
  check_linear(be(), {2, 2, 8}, 5, false, 21);
  check_linear(be(), {8}, 4, true, 22);
}

// float64 reductions over [outer, n, inner].
TEST(Reference, ReductionsAgainstFloat64) {
  Rng rng(30);
  const Shape s{3, 5, 4};
  const auto x = random_f16(rng, s.numel());
  const auto xd = to_f64(x);
  const Tensor t = up(s, x);
  const ReduceOp ops[] = {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min};
  for (ReduceOp op : ops)
    for (int dim : {-1, 0, 1, 2, 99}) {
      const bool all = dim == 99;
      int64_t outer = 1, n = s.numel(), inner = 1;
      if (!all) {
        const int d = normalize_dim(dim, 3);
        outer = 1;
        for (int i = 0; i < d; ++i) outer *= s[i];
        n = s[d];
        inner = 1;
        for (int i = d + 1; i < 3; ++i) inner *= s[i];
      }
      std::vector<double> want, extra;
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          double sum = 0, sabs = 0, mx = -INFINITY, mn = INFINITY;
          for (int64_t j = 0; j < n; ++j) {
            const double v = xd[(o * n + j) * inner + i];
            sum += v;
            sabs += std::fabs(v);
            mx = std::max(mx, v);
            mn = std::min(mn, v);
          }
          double w = op == ReduceOp::Sum    ? sum
                     : op == ReduceOp::Mean ? sum / n
                     : op == ReduceOp::Max  ? mx
                                            : mn;
          want.push_back(w);
          extra.push_back(op == ReduceOp::Sum || op == ReduceOp::Mean ? (n + 1) * kEps32 * sabs
                                                                      : 0);
        }
      for (bool keep : {false, true}) {
        const std::optional<int> d = all ? std::nullopt : std::optional<int>(dim);
        const Tensor y = be().reduce(op, t, d, keep);
        EXPECT_EQ(
            y.shape,
            reduce_shape(s, all ? std::nullopt : std::optional<int>(normalize_dim(dim, 3)), keep));
        expect_close(download(be(), y), want, extra,
                     std::string(op_name(op)) + " dim " + std::to_string(dim));
      }
    }
}

TEST(Reference, EmptyReductions) {
  const Tensor e = be().full({3, 0}, 1.0f);
  EXPECT_EQ(download(be(), be().reduce(ReduceOp::Sum, e, 1, false)),
            std::vector<f16_bits>(3, f32_to_f16(0.0f)));
  const auto mean = download(be(), be().reduce(ReduceOp::Mean, e, 1, false));
  EXPECT_TRUE(std::isnan(f16_to_f32(mean[0])));
  EXPECT_EQ(be().reduce(ReduceOp::Max, e, 0, false).shape, Shape{0});  // nothing to reduce
}

TEST(Reference, NaNPropagatesThroughMaxAndArgmax) {
  const std::vector<f16_bits> x = {f32_to_f16(1), 0x7e00, f32_to_f16(5), f32_to_f16(5)};
  EXPECT_TRUE(
      std::isnan(f16_to_f32(download(be(), be().reduce(ReduceOp::Max, up({4}, x), 0, false))[0])));
  EXPECT_EQ(be().arg_reduce(ArgOp::ArgMax, up({4}, x), 0), std::vector<int64_t>{1});
  EXPECT_EQ(be().arg_reduce(ArgOp::ArgMin, up({4}, x), 0), std::vector<int64_t>{1});
  const std::vector<f16_bits> y = {f32_to_f16(1), f32_to_f16(5), f32_to_f16(2), f32_to_f16(5)};
  EXPECT_EQ(be().arg_reduce(ArgOp::ArgMax, up({4}, y), 0), std::vector<int64_t>{1});
}

TEST(Reference, SoftmaxAgainstFloat64) {
  Rng rng(40);
  const Shape s{4, 6, 3};
  const auto x = random_f16(rng, s.numel(), -6, 6);
  const auto xd = to_f64(x);
  for (int dim : {1, 2, -3}) {
    const int d = normalize_dim(dim, 3);
    const int64_t n = s[d];
    const int64_t inner = d == 0 ? 18 : d == 1 ? 3 : 1;
    std::vector<double> want(xd.size()), extra(xd.size());
    for (int64_t base = 0; base < s.numel(); ++base) {
      if ((base / inner) % n != 0) continue;  // base = first element of a softmax run
      double m = -INFINITY, sum = 0;
      for (int64_t j = 0; j < n; ++j) m = std::max(m, xd[base + j * inner]);
      for (int64_t j = 0; j < n; ++j) sum += std::exp(xd[base + j * inner] - m);
      for (int64_t j = 0; j < n; ++j) {
        want[base + j * inner] = std::exp(xd[base + j * inner] - m) / sum;
        extra[base + j * inner] = (n + 4) * kEps32 * want[base + j * inner];
      }
    }
    expect_close(download(be(), be().softmax(up(s, x), dim)), want, extra,
                 "softmax dim " + std::to_string(dim));
  }
}

TEST(Reference, NormsAgainstFloat64) {
  Rng rng(50);
  const int64_t rows = 5, n = 37;
  const auto x = random_f16(rng, rows * n), w = random_f16(rng, n), b = random_f16(rng, n);
  const auto xd = to_f64(x), wd = to_f64(w), bd = to_f64(b);
  const float eps = 1e-5f;
  const Tensor tw = up({n}, w), tb = up({n}, b);
  for (int variant = 0; variant < 4; ++variant) {
    const bool layer = variant >= 2, weighted = variant % 2 == 1;
    std::vector<double> want, extra;
    for (int64_t r = 0; r < rows; ++r) {
      double sum = 0, ss = 0, mx = 0;
      for (int64_t j = 0; j < n; ++j) {
        sum += xd[r * n + j];
        ss += xd[r * n + j] * xd[r * n + j];
        mx = std::max(mx, std::fabs(xd[r * n + j]));
      }
      const double mean = layer ? sum / n : 0.0;
      double var = 0;
      for (int64_t j = 0; j < n; ++j) var += (xd[r * n + j] - mean) * (xd[r * n + j] - mean);
      const double rs = layer ? 1 / std::sqrt(var / n + eps) : 1 / std::sqrt(ss / n + eps);
      for (int64_t j = 0; j < n; ++j) {
        double v = (xd[r * n + j] - mean) * rs;
        if (weighted) v *= wd[j];
        if (layer && weighted) v += bd[j];
        want.push_back(v);
        // f32 sums of n squares, the mean's cancellation, the scaling: (2n + 16) eps_f32 of
        // the largest magnitude involved.
        extra.push_back((2 * n + 16) * kEps32 * (std::fabs(v) + (mx + std::fabs(mean)) * rs * 2));
      }
    }
    const Tensor y = layer ? be().layer_norm(up({rows, n}, x), weighted ? &tw : nullptr,
                                             weighted ? &tb : nullptr, eps)
                           : be().rms_norm(up({rows, n}, x), weighted ? &tw : nullptr, eps);
    expect_close(download(be(), y), want, extra,
                 std::string(layer ? "layer_norm" : "rms_norm") + (weighted ? " weighted" : ""));
  }
}

TEST(Reference, PermuteSliceConcat) {
  Rng rng(60);
  const Shape s{2, 3, 4};
  const auto x = random_f16(rng, s.numel());
  const Tensor t = up(s, x);
  // permute [2, 0, 1]: out[i, j, k] = x[j, k, i]
  const int perm[] = {2, 0, -2};
  const Tensor p = be().permute(t, perm);
  ASSERT_EQ(p.shape, (Shape{4, 2, 3}));
  const auto pv = download(be(), p);
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 2; ++j)
      for (int64_t k = 0; k < 3; ++k) EXPECT_EQ(pv[(i * 2 + j) * 3 + k], x[(j * 3 + k) * 4 + i]);
  // slice [1:2, 0:3:2, 1:4:2]
  const SliceAxis ax[] = {{1, 2, 1}, {0, 3, 2}, {1, 4, 2}};
  const Tensor sl = be().slice(t, ax);
  ASSERT_EQ(sl.shape, (Shape{1, 2, 2}));
  const auto sv = download(be(), sl);
  for (int64_t j = 0; j < 2; ++j)
    for (int64_t k = 0; k < 2; ++k) EXPECT_EQ(sv[j * 2 + k], x[(12) + (j * 2) * 4 + 1 + 2 * k]);
  const SliceAxis empty[] = {{0, 2, 1}, {2, 1, 1}, {0, 4, 3}};
  EXPECT_EQ(be().slice(t, empty).shape, (Shape{2, 0, 2}));
  // concat along dim 1 with an empty piece
  const auto y = random_f16(rng, 2 * 2 * 4);
  const Tensor parts[] = {t, up({2, 2, 4}, y), be().full({2, 0, 4}, 0)};
  const Tensor c = be().concat(parts, 1);
  ASSERT_EQ(c.shape, (Shape{2, 5, 4}));
  const auto cv = download(be(), c);
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 5; ++j)
      for (int64_t k = 0; k < 4; ++k)
        EXPECT_EQ(cv[(i * 5 + j) * 4 + k],
                  j < 3 ? x[(i * 3 + j) * 4 + k] : y[(i * 2 + j - 3) * 4 + k]);
}

TEST(Reference, EmptyElementwise) {
  const Tensor a = be().full({0, 3}, 1.0f), b = be().full({3}, 2.0f);
  EXPECT_EQ(be().binary(BinaryOp::Add, a, b).shape, (Shape{0, 3}));
  EXPECT_EQ(be().unary(UnaryOp::Exp, a).shape, (Shape{0, 3}));
  EXPECT_EQ(be().softmax(a, 1).shape, (Shape{0, 3}));
}

}  // namespace
}  // namespace tl::cpu_test

namespace tl::cpu_test {
namespace {

// exp_f32 (what exp, silu, sigmoid and gelu use) against float64 over its whole finite range, and
// its edges: within 2 ulp of f32 (relative 2^-22) where the result is a normal number, within
// the smallest subnormal below that, exact 1 at 0, inf above ~88.72, NaN and infinities
// propagated.
TEST(Reference, ExpF32AgainstFloat64) {
  double worst = 0;
  for (float x = -87.0f; x <= 88.7f; x += 0.000731f) {
    const double want = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::fabs(cpu::exp_f32(x) - want) / want);
  }
  EXPECT_LE(worst, std::ldexp(1.0, -22)) << worst;
  for (float x = -104.0f; x < -87.0f; x += 0.01f)
    EXPECT_LE(std::fabs(cpu::exp_f32(x) - std::exp(static_cast<double>(x))), std::ldexp(1.0, -149))
        << x;
  EXPECT_EQ(cpu::exp_f32(0.0f), 1.0f);
  EXPECT_EQ(cpu::exp_f32(89.0f), std::numeric_limits<float>::infinity());
  EXPECT_EQ(cpu::exp_f32(std::numeric_limits<float>::infinity()),
            std::numeric_limits<float>::infinity());
  EXPECT_EQ(cpu::exp_f32(-110.0f), 0.0f);
  EXPECT_EQ(cpu::exp_f32(-std::numeric_limits<float>::infinity()), 0.0f);
  EXPECT_TRUE(std::isnan(cpu::exp_f32(std::numeric_limits<float>::quiet_NaN())));
  // The gelu and silu built on it, at the extremes (no NaN from inf / inf).
  EXPECT_EQ(cpu::unary_f32(UnaryOp::Gelu, -30.0f), -0.0f);
  EXPECT_EQ(cpu::unary_f32(UnaryOp::Gelu, 30.0f), 30.0f);
  EXPECT_EQ(cpu::unary_f32(UnaryOp::Silu, -200.0f), -0.0f);
  EXPECT_EQ(cpu::unary_f32(UnaryOp::Sigmoid, 200.0f), 1.0f);
}

}  // namespace
}  // namespace tl::cpu_test
