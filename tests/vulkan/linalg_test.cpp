// matmul (NumPy rules, batches, broadcasting, 1-D operands) and linear, vs float64.
#include <cmath>

#include "tests/vulkan/vulkan_test_util.h"
#include "vm/core/error.h"

namespace tl::test {
namespace {

using VulkanLinalg = VulkanTest;

// NumPy matmul in float64.
HostTensor ref_matmul(const HostTensor& a, const HostTensor& b) {
  const Shape as = a.shape.rank() == 1 ? Shape{1, a.shape[0]} : a.shape;
  const Shape bs = b.shape.rank() == 1 ? Shape{b.shape[0], 1} : b.shape;
  const int64_t m = as[as.rank() - 2], k = as[as.rank() - 1], n = bs[bs.rank() - 1];
  const Shape ab(std::vector<int64_t>(as.dims().begin(), as.dims().end() - 2));
  const Shape bb(std::vector<int64_t>(bs.dims().begin(), bs.dims().end() - 2));
  const Shape batch = broadcast_shapes(ab, bb, "@");
  const auto sa = broadcast_strides(ab, batch), sb = broadcast_strides(bb, batch);
  const Shape out = matmul_shape(a.shape, b.shape);
  HostTensor y{out, std::vector<double>(out.numel())};
  for_each_index(batch, [&](const std::vector<int64_t>& idx, int64_t flat) {
    int64_t oa = 0, ob = 0;
    for (size_t d = 0; d < idx.size(); ++d) oa += idx[d] * sa[d], ob += idx[d] * sb[d];
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t kk = 0; kk < k; ++kk)
          s += a.v[(oa * m + i) * k + kk] * b.v[(ob * k + kk) * n + j];
        y.v[(flat * m + i) * n + j] = s;
      }
  });
  return y;
}

struct MatmulCase {
  Shape a, b;
};

TEST_F(VulkanLinalg, MatmulShapes) {
  const MatmulCase cases[] = {
      {Shape{5, 7}, Shape{7, 3}},
      {Shape{65, 33}, Shape{33, 70}},
      {Shape{130, 200}, Shape{200, 129}},
      {Shape{2, 3, 17, 9}, Shape{9, 20}},
      {Shape{3, 1, 10, 4}, Shape{2, 4, 6}},
      {Shape{7}, Shape{7, 5}},
      {Shape{6, 7}, Shape{7}},
      {Shape{300}, Shape{300}},
      {Shape{1, 64}, Shape{64, 300}},
      {Shape{4, 1, 16}, Shape{4, 16, 3}},
      {Shape{2, 7}, Shape{3, 7, 1}},
      // K and N multiples of 8: the register-tiled kernel on CPU devices, edges included.
      {Shape{70, 64}, Shape{64, 136}},
      {Shape{3, 33, 24}, Shape{24, 16}},
      {Shape{2, 1, 130, 32}, Shape{3, 32, 8}},
      {Shape{129, 8}, Shape{8, 8}},
      {Shape{64}, Shape{64, 136}},
      {Shape{6, 64}, Shape{64}},
  };
  for (bool gpu_kernels : {false, true}) {
    if (gpu_kernels) use_gpu_kernels();  // on lavapipe: also the kernels a GPU gets
    for (const MatmulCase& c : cases) {
      SCOPED_TRACE(c.a.to_string() + " @ " + c.b.to_string() + (gpu_kernels ? " gpu kernels" : ""));
      const HostTensor a = random(c.a, -1, 1), b = random(c.b, -1, 1);
      expect_near(be->matmul(up(a), up(b)), ref_matmul(a, b), kAtol, kRtol);
    }
  }
}

TEST_F(VulkanLinalg, MatmulErrors) {
  EXPECT_THROW(be->matmul(up(random(Shape{3, 4})), up(random(Shape{5, 2}))), RuntimeError);
  EXPECT_THROW(be->matmul(up(random(Shape{})), up(random(Shape{5, 2}))), RuntimeError);
}

HostTensor ref_linear(const HostTensor& x, const std::vector<double>& w, int64_t n,
                      const HostTensor* b) {
  const int64_t k = x.shape[x.shape.rank() - 1], rows = x.shape.numel() / k;
  std::vector<int64_t> od = x.shape.dims();
  od.back() = n;
  HostTensor y{Shape(od), std::vector<double>(rows * n)};
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) {
      double s = b ? b->v[j] : 0.0;
      for (int64_t kk = 0; kk < k; ++kk) s += x.v[r * k + kk] * w[j * k + kk];
      y.v[r * n + j] = s;
    }
  return y;
}

TEST_F(VulkanLinalg, LinearF16) {
  for (bool gpu_kernels : {false, true}) {
    if (gpu_kernels) use_gpu_kernels();
    for (const Shape& xs : {Shape{40}, Shape{2, 40}, Shape{3, 4, 40}, Shape{67, 40}}) {
      for (bool bias : {false, true}) {
        SCOPED_TRACE(xs.to_string() + (bias ? " with bias" : ""));
        const HostTensor x = random(xs, -1, 1), w = random(Shape{24, 40}, -1, 1),
                         b = random(Shape{24});
        const Tensor bt = up(b);
        expect_near(be->linear(up(x), up(w), bias ? &bt : nullptr),
                    ref_linear(x, w.v, 24, bias ? &b : nullptr), kAtol, kRtol);
      }
    }
  }
}

TEST_F(VulkanLinalg, LinearShapeErrors) {
  EXPECT_THROW(be->linear(up(random(Shape{2, 8})), up(random(Shape{3, 9})), nullptr), RuntimeError);
  const Tensor b = up(random(Shape{4}));
  EXPECT_THROW(be->linear(up(random(Shape{2, 8})), up(random(Shape{3, 8})), &b), RuntimeError);
}

}  // namespace
}  // namespace tl::test
