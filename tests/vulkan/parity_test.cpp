// Vulkan vs the CPU backend (vm/cpu) on the same random inputs: every op, downloaded f16 values
// compared. Both compute in f32 and round once to f16; they differ only in summation order and
// in exp/log/tanh implementations, hence two f16 steps of relative tolerance.
#include <cmath>
#include <cstring>

#include "tests/vulkan/vulkan_test_util.h"
#include "vm/core/error.h"
#include "vm/cpu/cpu_backend.h"
#include "vm/tensor/elementwise.h"

namespace tl::test {
namespace {

constexpr double kParityRtol = 2.0 / 1024, kParityAtol = 2e-3;

class VulkanCpuParity : public VulkanTest {
 protected:
  Tensor cpu_up(const HostTensor& h) {
    const std::vector<f16_bits> b = h.bits();
    return cpu.upload(h.shape, DType::F16, std::as_bytes(std::span(b)));
  }
  // Runs op on both backends with the same inputs and compares.
  void check(const std::vector<HostTensor>& ins,
             const std::function<Tensor(Backend&, std::vector<Tensor>&)>& op,
             double atol = kParityAtol, double rtol = kParityRtol) {
    std::vector<Tensor> ct, vt;
    for (const HostTensor& h : ins) ct.push_back(cpu_up(h)), vt.push_back(up(h));
    const Tensor c = op(cpu, ct);
    std::vector<f16_bits> cb(static_cast<size_t>(c.numel()));
    cpu.download(c, cb);
    HostTensor want{c.shape, std::vector<double>(cb.size())};
    for (size_t i = 0; i < cb.size(); ++i) want.v[i] = f16_to_f32(cb[i]);
    expect_near(op(*be, vt), want, atol, rtol);
  }
  CpuBackend cpu;
};

TEST_F(VulkanCpuParity, ElementwiseOps) {
  const HostTensor a = random(Shape{3, 1, 67}, 0.1, 3), b = random(Shape{5, 1}, 0.5, 2);
#define X(e, s) UnaryOp::e,
  for (UnaryOp op : {TL_UNARY_OPS(X)}) {
#undef X
    SCOPED_TRACE(std::string(op_name(op)));
    check({a}, [&](Backend& be, std::vector<Tensor>& t) { return be.unary(op, t[0]); });
  }
#define X(e, s) BinaryOp::e,
  for (BinaryOp op : {TL_BINARY_OPS(X)}) {
#undef X
    SCOPED_TRACE(std::string(op_name(op)));
    check({a, b}, [&](Backend& be, std::vector<Tensor>& t) { return be.binary(op, t[0], t[1]); });
    check({a}, [&](Backend& be, std::vector<Tensor>& t) {
      return be.binary_scalar(op, t[0], 1.5f, true);
    });
  }
  check(
      {},
      [&](Backend& be, std::vector<Tensor>&) {
        return be.full(Shape{4, 5}, 0.3f);
      },
      0, 0);
}

// A fused element-wise program: Vulkan runs it with the base class's stepwise default (bit for
// bit the op sequence), the CPU fused in f32 with one rounding; they agree within the parity
// tolerance plus one f16 step per intermediate rounding.
TEST_F(VulkanCpuParity, FusedElementwiseProgram) {
  using P = ElementwiseProgram;
  auto step = [](P::StepKind k, auto op, uint16_t a, uint16_t b) {
    return P::Step{k, static_cast<uint8_t>(op), a, b};
  };
  // gelu(x * s + b) * sigmoid(x) - maximum(x, 0.25)
  const P p{
      {P::InputKind::Tensor, P::InputKind::Scalar, P::InputKind::Tensor, P::InputKind::Scalar},
      {step(P::StepKind::Binary, BinaryOp::Mul, 0, 1),
       step(P::StepKind::Binary, BinaryOp::Add, 4, 2),
       step(P::StepKind::Unary, UnaryOp::Gelu, 5, 0),
       step(P::StepKind::Unary, UnaryOp::Sigmoid, 0, 0),
       step(P::StepKind::Binary, BinaryOp::Mul, 6, 7),
       step(P::StepKind::Binary, BinaryOp::Maximum, 0, 3),
       step(P::StepKind::Binary, BinaryOp::Sub, 8, 9)}};
  const HostTensor x = random(Shape{7, 129}), b = random(Shape{129});
  auto args = [](std::vector<Tensor>& t) {
    return std::vector<ElementwiseArg>{ElementwiseArg::of(t[0]), ElementwiseArg::of(0.7f),
                                       ElementwiseArg::of(t[1]), ElementwiseArg::of(0.25f)};
  };
  check(
      {x, b}, [&](Backend& be, std::vector<Tensor>& t) { return be.elementwise(p, args(t)); },
      4 * kParityAtol, 2 * kParityRtol);
  // On Vulkan the program is exactly the op sequence.
  std::vector<Tensor> vt = {up(x), up(b)};
  const Tensor fused = be->elementwise(p, args(vt));
  const Tensor t0 = be->unary(
      UnaryOp::Gelu,
      be->binary(BinaryOp::Add, be->binary_scalar(BinaryOp::Mul, vt[0], 0.7f, false), vt[1]));
  const Tensor t1 = be->binary(BinaryOp::Mul, t0, be->unary(UnaryOp::Sigmoid, vt[0]));
  const Tensor want =
      be->binary(BinaryOp::Sub, t1, be->binary_scalar(BinaryOp::Maximum, vt[0], 0.25f, false));
  expect_near(fused, down(want), 0, 0);
}

TEST_F(VulkanCpuParity, LinearAlgebra) {
  check({random(Shape{70, 64}, -1, 1), random(Shape{64, 136}, -1, 1)},
        [&](Backend& be, std::vector<Tensor>& t) { return be.matmul(t[0], t[1]); });
  check({random(Shape{2, 33, 17}, -1, 1), random(Shape{17, 9}, -1, 1)},
        [&](Backend& be, std::vector<Tensor>& t) { return be.matmul(t[0], t[1]); });
  check({random(Shape{64}, -1, 1), random(Shape{64, 40}, -1, 1)},
        [&](Backend& be, std::vector<Tensor>& t) { return be.matmul(t[0], t[1]); });
  for (int64_t rows : {1, 3, 20}) {
    check({random(Shape{rows, 96}, -1, 1), random(Shape{50, 96}, -1, 1), random(Shape{50})},
          [&](Backend& be, std::vector<Tensor>& t) { return be.linear(t[0], t[1], &t[2]); });
  }
}

TEST_F(VulkanCpuParity, QuantizedLinear) {
  std::uniform_int_distribution<int> byte(0, 255);
  for (DType type : {DType::Q4_0, DType::Q8_0, DType::Q4_K, DType::Q6_K}) {
    const DTypeInfo& info = dtype_info(type);
    const int64_t n = 24, k = 256;
    std::vector<std::byte> data(n * k / info.block_elems * info.block_bytes);
    for (auto& x : data) x = static_cast<std::byte>(byte(rng));
    // Finite scales: ggml puts d first in Q4_0/Q8_0/Q4_K and last in Q6_K.
    const size_t d_off = type == DType::Q6_K ? 208 : 0;
    for (size_t b = 0; b < data.size(); b += info.block_bytes) {
      const f16_bits d = f32_to_f16(0.01f);
      std::memcpy(&data[b + d_off], &d, 2);
      if (type == DType::Q4_K) std::memcpy(&data[b + 2], &d, 2);
    }
    for (int64_t rows : {1, 7}) {
      SCOPED_TRACE(std::string(dtype_name(type)) + " rows " + std::to_string(rows));
      const HostTensor x = random(Shape{rows, k}, -1, 1);
      const Tensor wc = cpu.upload(Shape{n, k}, type, data),
                   wv = be->upload(Shape{n, k}, type, data);
      const Tensor yc = cpu.linear(cpu_up(x), wc, nullptr);
      std::vector<f16_bits> cb(static_cast<size_t>(yc.numel()));
      cpu.download(yc, cb);
      HostTensor want{yc.shape, std::vector<double>(cb.size())};
      for (size_t i = 0; i < cb.size(); ++i) want.v[i] = f16_to_f32(cb[i]);
      // dequantize agrees exactly up to the f16 rounding direction
      std::vector<f16_bits> dc(n * k);
      cpu.download(cpu.dequantize(wc), dc);
      HostTensor dw{Shape{n, k}, std::vector<double>(dc.size())};
      for (size_t i = 0; i < dc.size(); ++i) dw.v[i] = f16_to_f32(dc[i]);
      // Beyond kMatvecMaxRows rows Vulkan dequantizes W to f16 before the GEMM (as ggml does),
      // so each product carries up to one f16 rounding of w: bound by 2^-11 sum |x w|.
      // The CPU backend quantizes the activations to Q8_0 for Q8_0/Q4_0 weights and to Q8_K
      // (super-blocks of 256, f32 step) for Q4_K/Q6_K, as ggml does; Vulkan keeps them f32: each
      // x moves by up to half its block's step (max|x|/254) plus the f16 rounding of Q8_0's step
      // (Q8_K's f32 roundings are far below that term).
      const int64_t qb = info.block_elems;  // 32, or 256 for the K-quants
      double bound = 0;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < n; ++j) {
          double a = 0, q = 0;
          for (int64_t kk = 0; kk < k; ++kk) {
            a += std::abs(x.v[r * k + kk] * dw.v[j * k + kk]);
            double amax = 0;
            for (int64_t t = kk / qb * qb; t < kk / qb * qb + qb; ++t)
              amax = std::max(amax, std::abs(x.v[r * k + t]));
            q += (amax / 254 * (1 + 1.0 / 1024) + std::abs(x.v[r * k + kk]) / 2048) *
                 std::abs(dw.v[j * k + kk]);
          }
          bound = std::max(bound, a / 2048 + q);
        }
      expect_near(be->linear(up(x), wv, nullptr), want, 2e-3 + bound, kParityRtol);
      expect_near(be->dequantize(wv), dw, 0, 1.0 / 1024);
    }
  }
}

TEST_F(VulkanCpuParity, ReductionsNormsMovement) {
  const HostTensor x = random(Shape{4, 37, 45}, -2, 2), w = random(Shape{45}),
                   b = random(Shape{45});
#define X(e, s) ReduceOp::e,
  for (ReduceOp op : {TL_REDUCE_OPS(X)}) {
#undef X
    for (std::optional<int> dim :
         {std::optional<int>{}, std::optional<int>{1}, std::optional<int>{-1}}) {
      SCOPED_TRACE(std::string(op_name(op)));
      check({x},
            [&](Backend& be, std::vector<Tensor>& t) { return be.reduce(op, t[0], dim, true); });
    }
  }
  check({x}, [&](Backend& be, std::vector<Tensor>& t) { return be.softmax(t[0], 1); });
  check({x}, [&](Backend& be, std::vector<Tensor>& t) { return be.softmax(t[0], -1); });
  check({x, w},
        [&](Backend& be, std::vector<Tensor>& t) { return be.rms_norm(t[0], &t[1], 1e-6f); });
  check({x, w, b}, [&](Backend& be, std::vector<Tensor>& t) {
    return be.layer_norm(t[0], &t[1], &t[2], 1e-5f);
  });
  const std::vector<int> perm = {2, 0, 1};
  check(
      {x}, [&](Backend& be, std::vector<Tensor>& t) { return be.permute(t[0], perm); }, 0, 0);
  const std::vector<SliceAxis> axes = {{1, 4, 2}, {0, 37, 5}, {3, 40, 1}};
  check(
      {x}, [&](Backend& be, std::vector<Tensor>& t) { return be.slice(t[0], axes); }, 0, 0);
  check(
      {x, x}, [&](Backend& be, std::vector<Tensor>& t) { return be.concat(t, 1); }, 0, 0);
}

// assign_slice writes in place: the result is the target after the write, on each backend.
TEST_F(VulkanCpuParity, AssignSlice) {
  const HostTensor x = random(Shape{4, 37, 45}, -2, 2);
  struct Case {
    std::vector<SliceAxis> axes;
    Shape src;
  };
  const std::vector<Case> cases = {
      {{{1, 2, 1}, {0, 37, 1}, {0, 45, 1}}, Shape{1, 37, 45}},  // one leading row: contiguous
      {{{0, 4, 1}, {5, 9, 1}, {0, 45, 1}}, Shape{4, 4, 45}},    // a KV-cache-style block
      {{{1, 4, 2}, {0, 37, 5}, {3, 40, 1}}, Shape{2, 8, 37}},   // strided
      {{{0, 4, 1}, {2, 3, 1}, {0, 45, 1}}, Shape{1, 1, 45}},    // broadcast rows
      {{{3, 4, 1}, {7, 8, 1}, {9, 10, 1}}, Shape{1, 1, 1}}};    // one element
  for (const Case& c : cases) {
    const HostTensor v = random(c.src, -1, 1);
    check(
        {x, v},
        [&](Backend& be, std::vector<Tensor>& t) {
          std::vector<SliceAxis> all = {{0, 4, 1}, {0, 37, 1}, {0, 45, 1}};
          Tensor target = be.slice(t[0], all);  // a fresh copy the test owns alone
          EXPECT_TRUE(be.sole_owner(target));
          be.assign_slice(target, c.axes, t[1]);
          return target;
        },
        0, 0);
  }
  std::vector<Tensor> t = {up(x), up(random(Shape{2, 37, 45}))};
  const std::vector<SliceAxis> one_row = {{1, 2, 1}, {0, 37, 1}, {0, 45, 1}};
  EXPECT_THROW(be->assign_slice(t[0], one_row, t[1]), RuntimeError);  // 2 rows into 1
  const std::vector<SliceAxis> outside = {{0, 5, 1}, {0, 37, 1}, {0, 45, 1}};
  EXPECT_THROW(be->assign_slice(t[0], outside, t[1]), RuntimeError);
}

}  // namespace
}  // namespace tl::test
