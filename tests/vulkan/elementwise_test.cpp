// full, unary, binary (NumPy broadcasting), binary_scalar against float64 references.
#include <cmath>

#include "tests/common/reference64.h"
#include "tests/vulkan/vulkan_test_util.h"
#include "vm/core/error.h"

namespace tl::test {
namespace {

using VulkanElementwise = VulkanTest;

double ref_unary(UnaryOp op, double x) {
  return unary64(op, x);
}
double ref_binary(BinaryOp op, double a, double b) {
  return binary64(op, a, b);
}

TEST_F(VulkanElementwise, Full) {
  const Shape s{3, 70, 5};
  expect_near(be->full(s, -1.25f), HostTensor{s, std::vector<double>(s.numel(), -1.25)}, 0, 0);
  expect_near(be->full(Shape{}, 3.0f), HostTensor{Shape{}, {3.0}}, 0, 0);
}

TEST_F(VulkanElementwise, UnaryOps) {
#define X(e, s) UnaryOp::e,
  for (UnaryOp op : {TL_UNARY_OPS(X)}) {
#undef X
    SCOPED_TRACE(std::string(op_name(op)));
    const bool positive = op == UnaryOp::Log || op == UnaryOp::Sqrt;
    const HostTensor x = random(Shape{7, 301}, positive ? 0.01 : -4.0, 4.0);
    HostTensor want{x.shape, x.v};
    for (double& v : want.v) v = ref_unary(op, v);
    // Transcendentals run in f32 with driver-precision exp/log: a little more than one f16 ulp.
    expect_near(be->unary(op, up(x)), want, 2e-3, 2e-3);
  }
}

struct BroadcastCase {
  Shape a, b;
};

TEST_F(VulkanElementwise, BinaryOpsBroadcast) {
  const BroadcastCase cases[] = {
      {Shape{3, 4}, Shape{3, 4}},
      {Shape{2, 3, 5}, Shape{5}},
      {Shape{4, 1, 3}, Shape{1, 5, 1}},
      {Shape{1}, Shape{7, 9}},
      {Shape{}, Shape{3}},
      {Shape{2, 1, 3, 1, 2}, Shape{1, 4, 1, 5, 1}},
      {Shape{67, 1}, Shape{1, 259}},
      {Shape{2, 0, 3}, Shape{3}},
  };
#define X(e, s) BinaryOp::e,
  for (BinaryOp op : {TL_BINARY_OPS(X)}) {
#undef X
    for (const BroadcastCase& c : cases) {
      SCOPED_TRACE(std::string(op_name(op)) + " " + c.a.to_string() + " " + c.b.to_string());
      const bool pow = op == BinaryOp::Pow;
      const HostTensor a = random(c.a, pow ? 0.25 : -3.0, 3.0);
      HostTensor b = random(c.b, pow ? -2.0 : 0.25, pow ? 2.0 : 3.0);
      if (!pow)  // a divisor away from zero, either sign
        for (size_t i = 0; i < b.v.size(); ++i) b.v[i] = i % 2 ? -b.v[i] : b.v[i];
      const Shape out = broadcast_shapes(c.a, c.b, "+");
      HostTensor want{out, std::vector<double>(out.numel())};
      const auto as = broadcast_strides(c.a, out), bs = broadcast_strides(c.b, out);
      for_each_index(out, [&](const std::vector<int64_t>& idx, int64_t flat) {
        int64_t ia = 0, ib = 0;
        for (size_t d = 0; d < idx.size(); ++d) ia += idx[d] * as[d], ib += idx[d] * bs[d];
        want.v[flat] = ref_binary(op, a.v[ia], b.v[ib]);
      });
      expect_near(be->binary(op, up(a), up(b)), want, op == BinaryOp::Mod ? 4e-3 : 1e-3, 2e-3);
    }
  }
}

TEST_F(VulkanElementwise, PowOfNegativeBases) {
  HostTensor a{Shape{6}, {-2, -2, -0.5, 0, 0, -3}};
  HostTensor b{Shape{6}, {2, 3, -1, 2, 0, 0.5}};
  HostTensor want{Shape{6}, {4, -8, -2, 0, 1, NAN}};
  expect_near(be->binary(BinaryOp::Pow, up(a), up(b)), want, 0, 0);
}

TEST_F(VulkanElementwise, BinaryScalarBothSides) {
  const HostTensor a = random(Shape{5, 67}, 0.5, 3.0);
#define X(e, s) BinaryOp::e,
  for (BinaryOp op : {TL_BINARY_OPS(X)}) {
#undef X
    for (bool left : {false, true}) {
      SCOPED_TRACE(std::string(op_name(op)) + (left ? " left" : " right"));
      const float s = 1.75f;
      HostTensor want{a.shape, a.v};
      for (double& v : want.v) v = left ? ref_binary(op, s, v) : ref_binary(op, v, s);
      expect_near(be->binary_scalar(op, up(a), s, left), want, 2e-3, 2e-3);
    }
  }
}

TEST_F(VulkanElementwise, ShapeMismatchIsARuntimeError) {
  EXPECT_THROW(be->binary(BinaryOp::Add, up(random(Shape{3, 4})), up(random(Shape{5}))),
               RuntimeError);
}

}  // namespace
}  // namespace tl::test
