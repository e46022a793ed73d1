// Reductions, softmax, rms_norm and layer_norm vs float64.
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "tests/vulkan/vulkan_test_util.h"
#include "vm/core/error.h"

namespace tl::test {
namespace {

using VulkanReduce = VulkanTest;

HostTensor ref_reduce(ReduceOp op, const HostTensor& x, std::optional<int> dim, bool keepdim) {
  const Shape out = reduce_shape(x.shape, dim, keepdim);
  const vk::RowView v = dim ? vk::row_view(x.shape, *dim) : vk::RowView{1, x.shape.numel(), 1};
  HostTensor y{out, std::vector<double>(out.numel())};
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t i = 0; i < v.inner; ++i) {
      double acc = op == ReduceOp::Min
                       ? INFINITY
                       : (op == ReduceOp::Sum || op == ReduceOp::Mean ? 0 : -INFINITY);
      for (int64_t r = 0; r < v.r; ++r) {
        const double e = x.v[(o * v.r + r) * v.inner + i];
        if (op == ReduceOp::Sum || op == ReduceOp::Mean) acc += e;
        if (op == ReduceOp::Min) acc = std::min(acc, e);
        if (op == ReduceOp::Max) acc = std::max(acc, e);
      }
      if (op == ReduceOp::Mean) acc /= static_cast<double>(v.r);
      y.v[o * v.inner + i] = acc;
    }
  return y;
}

TEST_F(VulkanReduce, AllOpsAllDims) {
  const HostTensor x = random(Shape{4, 37, 300}, -1, 1);
  const Tensor xt = up(x);
#define X(e, s) ReduceOp::e,
  for (ReduceOp op : {TL_REDUCE_OPS(X)}) {
#undef X
    for (std::optional<int> dim :
         {std::optional<int>{}, std::optional<int>{0}, std::optional<int>{1}, std::optional<int>{2},
          std::optional<int>{-1}}) {
      for (bool keep : {false, true}) {
        SCOPED_TRACE(std::string(op_name(op)) + " dim " + (dim ? std::to_string(*dim) : "all") +
                     (keep ? " keepdim" : ""));
        std::optional<int> nd;
        if (dim) nd = normalize_dim(*dim, 3);
        // Sums of up to 44400 values in [-1, 1]: f32 accumulation error stays far below f16 steps.
        expect_near(be->reduce(op, xt, dim, keep), ref_reduce(op, x, nd, keep), 2e-3, kRtol);
      }
    }
  }
}

TEST_F(VulkanReduce, EmptyAndErrors) {
  const Tensor e = up(random(Shape{0, 3}));
  expect_near(be->reduce(ReduceOp::Sum, e, 0, false), HostTensor{Shape{3}, {0, 0, 0}}, 0, 0);
  EXPECT_THROW(be->reduce(ReduceOp::Max, e, 0, false), RuntimeError);
  EXPECT_THROW(be->reduce(ReduceOp::Sum, up(random(Shape{2, 3})), 2, false), RuntimeError);
}

TEST_F(VulkanReduce, Softmax) {
  const HostTensor x = random(Shape{3, 21, 517}, -6, 6);
  for (int dim : {0, 1, 2, -1}) {
    SCOPED_TRACE(dim);
    const int d = normalize_dim(dim, 3);
    const vk::RowView v = vk::row_view(x.shape, d);
    HostTensor want{x.shape, x.v};
    for (int64_t o = 0; o < v.outer; ++o)
      for (int64_t i = 0; i < v.inner; ++i) {
        double m = -INFINITY, s = 0;
        auto at = [&](int64_t r) { return (o * v.r + r) * v.inner + i; };
        for (int64_t r = 0; r < v.r; ++r) m = std::max(m, x.v[at(r)]);
        for (int64_t r = 0; r < v.r; ++r) s += std::exp(x.v[at(r)] - m);
        for (int64_t r = 0; r < v.r; ++r) want.v[at(r)] = std::exp(x.v[at(r)] - m) / s;
      }
    expect_near(be->softmax(up(x), dim), want, 1e-4, 2e-3);
  }
}

TEST_F(VulkanReduce, Norms) {
  for (int64_t cols : {5, 1000}) {
    const HostTensor x = random(Shape{3, 7, cols}, -2, 2), w = random(Shape{cols}),
                     b = random(Shape{cols});
    const Tensor xt = up(x), wt = up(w), bt = up(b);
    const float eps = 1e-5f;
    for (int kind = 0; kind < 2; ++kind)
      for (bool use_w : {false, true})
        for (bool use_b : {false, true}) {
          if (kind == 0 && use_b) continue;
          SCOPED_TRACE(fmt::format("{} cols={} w={} b={}", kind ? "layer_norm" : "rms_norm", cols,
                                   use_w, use_b));
          HostTensor want{x.shape, x.v};
          for (int64_t r = 0; r < 21; ++r) {
            double mean = 0, ss = 0;
            if (kind == 1) {
              for (int64_t c = 0; c < cols; ++c) mean += x.v[r * cols + c];
              mean /= static_cast<double>(cols);
            }
            for (int64_t c = 0; c < cols; ++c) ss += std::pow(x.v[r * cols + c] - mean, 2);
            const double inv = 1 / std::sqrt(ss / static_cast<double>(cols) + eps);
            for (int64_t c = 0; c < cols; ++c) {
              double v = (x.v[r * cols + c] - mean) * inv;
              if (use_w) v *= w.v[c];
              if (use_b) v += b.v[c];
              want.v[r * cols + c] = v;
            }
          }
          const Tensor got =
              kind == 0 ? be->rms_norm(xt, use_w ? &wt : nullptr, eps)
                        : be->layer_norm(xt, use_w ? &wt : nullptr, use_b ? &bt : nullptr, eps);
          expect_near(got, want, 2e-3, 2e-3);
        }
  }
  const Tensor w3 = up(random(Shape{3}));
  EXPECT_THROW(be->rms_norm(up(random(Shape{2, 4})), &w3, 1e-5f), RuntimeError);
}

}  // namespace
}  // namespace tl::test
