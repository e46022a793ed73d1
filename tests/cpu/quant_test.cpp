// Q8_0 / Q4_0 weights: test data is made by quantizing random floats with ggml's
// quantize_row_q8_0_ref / quantize_row_q4_0_ref formulas (re-stated here from ggml-quants.c), and
// decoded with ggml's dequantize_row_* formulas, independently of vm/cpu's own decoders.
#include <bit>
#include <cstring>

#include "tests/cpu/test_util.h"
#include "vm/cpu/kernels.h"
#include "vm/model/dequant.h"

namespace tl::cpu_test {
namespace {

constexpr int kQK = 32;

// ggml quantize_row_q8_0_ref: d = amax / 127, q = round(x / d).
std::vector<std::byte> quantize_q8_0(const std::vector<float>& x) {
  std::vector<std::byte> out(x.size() / kQK * 34);
  for (size_t b = 0; b < x.size() / kQK; ++b) {
    float amax = 0;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[b * kQK + j]));
    const float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
    const f16_bits dh = f32_to_f16(d);
    std::memcpy(&out[b * 34], &dh, 2);
    for (int j = 0; j < kQK; ++j)
      out[b * 34 + 2 + j] =
          static_cast<std::byte>(static_cast<int8_t>(std::roundf(x[b * kQK + j] * id)));
  }
  return out;
}

// ggml quantize_row_q4_0_ref: d = max / -8 (max: the value of largest magnitude, signed),
// q = min(15, (int8)(x / d + 8.5)); element j in the low nibble, j + 16 in the high nibble.
std::vector<std::byte> quantize_q4_0(const std::vector<float>& x) {
  std::vector<std::byte> out(x.size() / kQK * 18);
  for (size_t b = 0; b < x.size() / kQK; ++b) {
    float amax = 0, max = 0;
    for (int j = 0; j < kQK; ++j) {
      const float v = x[b * kQK + j];
      if (amax < std::fabs(v)) {
        amax = std::fabs(v);
        max = v;
      }
    }
    const float d = max / -8.0f, id = d ? 1.0f / d : 0.0f;
    const f16_bits dh = f32_to_f16(d);
    std::memcpy(&out[b * 18], &dh, 2);
    for (int j = 0; j < kQK / 2; ++j) {
      const float x0 = x[b * kQK + j] * id, x1 = x[b * kQK + kQK / 2 + j] * id;
      const uint8_t q0 =
          std::min<uint8_t>(15, static_cast<uint8_t>(static_cast<int8_t>(x0 + 8.5f)));
      const uint8_t q1 =
          std::min<uint8_t>(15, static_cast<uint8_t>(static_cast<int8_t>(x1 + 8.5f)));
      out[b * 18 + 2 + j] = static_cast<std::byte>(q0 | (q1 << 4));
    }
  }
  return out;
}

// ggml dequantize_row_q8_0 / _q4_0.
std::vector<float> dequant(DType t, const std::vector<std::byte>& q, int64_t n) {
  std::vector<float> y(static_cast<size_t>(n));
  const int bytes = t == DType::Q8_0 ? 34 : 18;
  for (int64_t b = 0; b < n / kQK; ++b) {
    f16_bits dh;
    std::memcpy(&dh, &q[b * bytes], 2);
    const float d = f16_to_f32(dh);
    for (int j = 0; j < (t == DType::Q8_0 ? kQK : kQK / 2); ++j) {
      const auto v = static_cast<uint8_t>(q[b * bytes + 2 + j]);
      if (t == DType::Q8_0) {
        y[b * kQK + j] = static_cast<int8_t>(v) * d;
      } else {
        y[b * kQK + j] = ((v & 0x0f) - 8) * d;
        y[b * kQK + j + kQK / 2] = ((v >> 4) - 8) * d;
      }
    }
  }
  return y;
}

struct QuantWeights {
  std::vector<std::byte> blocks;
  std::vector<float> values;  // dequantized, as ggml does
};

QuantWeights make_weights(DType t, int64_t rows, int64_t cols, Rng& rng) {
  std::vector<float> w(static_cast<size_t>(rows * cols));
  for (auto& v : w) v = static_cast<float>(rng.uniform(-1, 1));
  QuantWeights q;
  q.blocks = t == DType::Q8_0 ? quantize_q8_0(w) : quantize_q4_0(w);
  q.values = dequant(t, q.blocks, rows * cols);
  return q;
}

class Quant : public ::testing::TestWithParam<DType> {};

TEST_P(Quant, QuantizerRoundTripIsClose) {
  // Sanity of the test data itself: Q8_0 is within half a step (amax / 127) of the input; Q4_0
  // within one step (amax / 8), since its codes reach only 7 steps on the side opposite the
  // block's largest value and clamp there.
  Rng rng(1);
  std::vector<float> w(256);
  for (auto& v : w) v = static_cast<float>(rng.uniform(-1, 1));
  const auto q = GetParam() == DType::Q8_0 ? quantize_q8_0(w) : quantize_q4_0(w);
  const auto back = dequant(GetParam(), q, 256);
  const double tol = GetParam() == DType::Q8_0 ? 0.51 / 127 : 1.01 / 8;
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(back[i], w[i], tol + 1e-3) << i;
}

TEST_P(Quant, DequantizeMatchesGgmlFormula) {
  Rng rng(2);
  const auto q = make_weights(GetParam(), 6, 64, rng);
  for (CpuBackend* be : {&reference_backend(), &fast_backend()}) {
    const Tensor t = be->upload({6, 64}, GetParam(), q.blocks);
    const auto got = download(*be, be->dequantize(t));
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(got[i], f32_to_f16(q.values[i])) << be->name() << " element " << i;
    EXPECT_EQ(download(*be, t), got) << "download dequantizes";
  }
}

TEST_P(Quant, FusedDotMatchesScalarForm) {
  Rng rng(3);
  const int64_t n = 4096;
  const auto q = make_weights(GetParam(), 1, n, rng);
  std::vector<float> x(n);
  double exact = 0, sabs = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(rng.uniform(-1, 1));
    exact += double(x[i]) * q.values[i];
    sabs += std::fabs(double(x[i]) * q.values[i]);
  }
  // Both forms accumulate n products in f32: n * eps_f32 * sum|terms|.
  const double tol = n * kEps32 * sabs;
  EXPECT_NEAR(cpu::fused_dot(GetParam(), q.blocks.data(), x.data(), n), exact, tol);
  EXPECT_NEAR(cpu::fused_dot_ref(GetParam(), q.blocks.data(), x.data(), n), exact, tol);
}

// linear() with quantized weights on both backends, against float64 on ggml-dequantized weights.
TEST_P(Quant, LinearAgainstFloat64) {
  Rng rng(4);
  for (const auto& [rows, out, in] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 64, 4096}, {1, 33, 96}, {5, 70, 256}, {2, 9, 512}}) {
    const auto q = make_weights(GetParam(), out, in, rng);
    const auto x = random_f16(rng, rows * in);
    const auto xd = to_f64(x);
    std::vector<double> want, extra;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < out; ++o) {
        double s = 0, sabs = 0;
        for (int64_t k = 0; k < in; ++k) {
          s += xd[r * in + k] * q.values[o * in + k];
          sabs += std::fabs(xd[r * in + k] * q.values[o * in + k]);
        }
        want.push_back(s);
        extra.push_back(in * kEps32 * sabs);
      }
    for (CpuBackend* be : {&reference_backend(), &fast_backend()}) {
      const Tensor w = be->upload({out, in}, GetParam(), q.blocks);
      const Tensor y = be->linear(be->upload_f16({rows, in}, x), w, nullptr);
      expect_close(download(*be, y), want, extra,
                   std::string(be->name()) + " linear " + std::string(dtype_name(GetParam())) +
                       " rows " + std::to_string(rows) + " in " + std::to_string(in));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, Quant, ::testing::Values(DType::Q8_0, DType::Q4_0),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

}  // namespace
}  // namespace tl::cpu_test

// Formats without a fused kernel go through vm/model's dequantize_row (the reference decoder);
// the CPU backend must agree with it exactly (dequantize) and within the product bound (linear).
namespace tl::cpu_test {
namespace {

std::vector<std::byte> random_blocks(DType t, int64_t n, Rng& rng) {
  const auto& info = dtype_info(t);
  std::vector<std::byte> b(static_cast<size_t>(n / info.block_elems * info.block_bytes));
  for (auto& x : b) x = static_cast<std::byte>(rng.integer(0, 255));
  // These formats start with f16 scale (and min): keep them finite and moderate.
  for (size_t i = 0; i < b.size(); i += info.block_bytes) {
    const f16_bits d = f32_to_f16(static_cast<float>(rng.uniform(0.001, 0.02)));
    const f16_bits m = f32_to_f16(static_cast<float>(rng.uniform(-0.1, 0.1)));
    std::memcpy(&b[i], &d, 2);
    if (t == DType::Q4_1 || t == DType::Q5_1) std::memcpy(&b[i + 2], &m, 2);
  }
  return b;
}

class OtherQuant : public ::testing::TestWithParam<DType> {};

TEST_P(OtherQuant, DequantizeAndLinearViaDequantizeRow) {
  Rng rng(5);
  const DType t = GetParam();
  for (const auto& [rows, out, in] :
       std::vector<std::tuple<int64_t, int64_t, int64_t>>{{1, 40, 512}, {6, 33, 256}}) {
    const auto blocks = random_blocks(t, out * in, rng);
    std::vector<float> wf(static_cast<size_t>(out * in));
    tl::dequantize_row(t, blocks.data(), wf.data(), out * in);
    const auto x = random_f16(rng, rows * in);
    const auto xd = to_f64(x);
    std::vector<double> want, extra;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < out; ++o) {
        double s = 0, sabs = 0;
        for (int64_t k = 0; k < in; ++k) {
          s += xd[r * in + k] * wf[o * in + k];
          sabs += std::fabs(xd[r * in + k] * wf[o * in + k]);
        }
        want.push_back(s);
        extra.push_back(in * kEps32 * sabs);
      }
    for (CpuBackend* be : {&reference_backend(), &fast_backend()}) {
      const Tensor w = be->upload({out, in}, t, blocks);
      const auto deq = download(*be, be->dequantize(w));
      for (size_t i = 0; i < deq.size(); ++i)
        ASSERT_EQ(deq[i], f32_to_f16(wf[i])) << be->name() << " element " << i;
      expect_close(download(*be, be->linear(be->upload_f16({rows, in}, x), w, nullptr)), want,
                   extra, std::string(be->name()) + " linear " + std::string(dtype_name(t)));
    }
  }
}

TEST(Quant, NativeDecodersMatchDequantizeRow) {
  Rng rng(6);
  for (DType t : {DType::Q8_0, DType::Q4_0}) {
    const auto blocks = random_blocks(t, 4096, rng);
    std::vector<float> mine(4096), ggml(4096);
    cpu::dequantize(t, blocks.data(), mine.data(), 4096, /*fast=*/true);
    tl::dequantize_row(t, blocks.data(), ggml.data(), 4096);
    for (size_t i = 0; i < mine.size(); ++i)
      ASSERT_EQ(std::bit_cast<uint32_t>(mine[i]), std::bit_cast<uint32_t>(ggml[i]))
          << dtype_name(t) << " " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, OtherQuant,
                         ::testing::Values(DType::Q4_1, DType::Q5_0, DType::Q5_1),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

}  // namespace
}  // namespace tl::cpu_test
