// Q8_0 / Q4_0 weights: test data is made by quantizing random floats with ggml's
// quantize_row_q8_0_ref / quantize_row_q4_0_ref formulas (re-stated here from ggml-quants.c), and
// decoded with ggml's dequantize_row_* formulas, independently of vm/cpu's own decoders.
#include <bit>
#include <cstring>

#include "tests/cpu/test_util.h"
#include "vm/cpu/kernels.h"
#include "vm/cpu/repack.h"
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

// ggml's x86 quantize_row_q8_0 for activations (re-stated from ggml-cpu's AVX path): per block
// d = amax / 127 stored as f16, q = x * (127 / amax) rounded to nearest even.
struct ActQ8 {
  std::vector<int> q;
  std::vector<double> d;  // the f16-rounded scale
};
ActQ8 quantize_act(const std::vector<double>& x) {
  ActQ8 a;
  for (size_t b = 0; b < x.size() / kQK; ++b) {
    float amax = 0;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(float(x[b * kQK + j])));
    const float id = amax != 0 ? 127.0f / amax : 0.0f;
    a.d.push_back(f16_to_f32(f32_to_f16(amax / 127.0f)));
    for (int j = 0; j < kQK; ++j) a.q.push_back(int(std::nearbyint(float(x[b * kQK + j]) * id)));
  }
  return a;
}

// linear() with quantized weights on both backends quantizes the activations to Q8_0 as ggml
// does: against float64 sums of (d_w q_w)(d_x q_x) over ggml-dequantized weights. The one
// rounding that remains is f32 accumulation (n_blocks eps_f32 sum|terms|) and the f16 result.
// And the Q8_0 activations stay within their own bound of the exact f32-activation product.
TEST_P(Quant, LinearAgainstFloat64) {
  Rng rng(4);
  for (const auto& [rows, out, in] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 64, 4096}, {1, 33, 96}, {5, 70, 256}, {2, 9, 512}, {7, 21, 160}, {70, 19, 64}}) {
    const auto q = make_weights(GetParam(), out, in, rng);
    const auto x = random_f16(rng, rows * in);
    const auto xd = to_f64(x);
    std::vector<double> want, extra;
    for (int64_t r = 0; r < rows; ++r) {
      const ActQ8 a =
          quantize_act(std::vector<double>(xd.begin() + r * in, xd.begin() + (r + 1) * in));
      for (int64_t o = 0; o < out; ++o) {
        double s = 0, sabs = 0, exact = 0, qbound = 0;
        for (int64_t k = 0; k < in; ++k) {
          const double t = a.d[k / kQK] * a.q[k] * q.values[o * in + k];
          s += t;
          sabs += std::fabs(t);
          exact += xd[r * in + k] * q.values[o * in + k];
          // |x - d q| <= d/2 (plus the f16 rounding of d, relative 2^-11 of |x|)
          qbound += (a.d[k / kQK] / 2 + std::fabs(xd[r * in + k]) / 2048) *
                    std::fabs(q.values[o * in + k]);
        }
        EXPECT_NEAR(s, exact, 1.01 * qbound + 1e-12) << "Q8_0 activation error bound";
        want.push_back(s);
        extra.push_back(static_cast<double>(in / kQK + 2) * kEps32 * sabs);
      }
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

// The activation quantizer: whole blocks, extremes map to +-127, zero blocks to d = 0.
TEST(QuantQ8Activations, MatchesGgmlFormula) {
  Rng rng(11);
  std::vector<float> x(4 * 96);
  for (auto& v : x) v = static_cast<float>(rng.uniform(-3, 3));
  for (int j = 0; j < kQK; ++j) x[kQK + j] = 0.0f;  // an all-zero block
  x[5] = 3.5f;                                      // the extreme of block 0
  cpu::Q8Activations a;
  a.quantize(x.data(), 4, 96, 96);
  ASSERT_EQ(a.blocks, 3);
  for (int64_t r = 0; r < 4; ++r) {
    const ActQ8 want =
        quantize_act(std::vector<double>(x.begin() + r * 96, x.begin() + (r + 1) * 96));
    for (int64_t b = 0; b < 3; ++b) {
      EXPECT_EQ(a.row_d(r)[b], want.d[b]) << r << " " << b;
      int32_t sum = 0;
      for (int j = 0; j < kQK; ++j) {
        EXPECT_EQ(a.row_q(r)[b * kQK + j], want.q[b * kQK + j]) << r << " " << b << " " << j;
        sum += a.row_q(r)[b * kQK + j];
      }
      EXPECT_EQ(a.row_sum(r)[b], sum);
      for (int l = 0; l < 8; ++l) EXPECT_EQ(a.row_d8(r)[b * 8 + l], a.row_d(r)[b]);
    }
  }
  EXPECT_EQ(a.row_q(0)[5], 127);
  EXPECT_EQ(a.row_d(0)[1], 0.0f);
}

// Quantizing f16 rows directly (each tier, one thread or the pool) gives exactly the blocks of the
// f32 quantizer: same scales, same round-to-nearest-even, same sums.
TEST(QuantQ8Activations, FromF16MatchesEveryTier) {
  Rng rng(14);
  const int64_t rows = 9, k = 160;
  std::vector<f16_bits> xh = random_f16(rng, rows * k, -3, 3);
  for (int j = 0; j < kQK; ++j) xh[kQK + j] = f32_to_f16(0.0f);  // an all-zero block
  xh[2 * kQK] = f32_to_f16(-2.5f);                               // a negative extreme
  std::vector<float> xf(xh.size());
  for (size_t i = 0; i < xh.size(); ++i) xf[i] = f16_to_f32(xh[i]);
  cpu::Q8Activations want;
  want.quantize(xf.data(), rows, k, k);
  cpu::ThreadPool pool(2);
  for (const cpu::Isa isa : host_tiers())
    for (cpu::ThreadPool* p : {static_cast<cpu::ThreadPool*>(nullptr), &pool}) {
      cpu::Q8Activations got;
      got.quantize_f16(cpu::Ctx{p, true, isa}, xh.data(), rows, k, k);
      EXPECT_EQ(got.q, want.q) << cpu::isa_name(isa);
      EXPECT_EQ(got.d, want.d) << cpu::isa_name(isa);
      EXPECT_EQ(got.d8, want.d8) << cpu::isa_name(isa);
      EXPECT_EQ(got.sum, want.sum) << cpu::isa_name(isa);
    }
}

// Every SIMD tier this machine has (AVX2, AVX-VNNI, AVX512-VNNI) against the exact integer
// arithmetic, for 1..7 activation rows (the 4/2/1-row kernels) and odd block counts (the tails).
TEST_P(Quant, DotRowsEveryTierMatchesExactIntegers) {
  Rng rng(12);
  const DType type = GetParam();
  for (int64_t nb : {1, 2, 3, 8, 33}) {
    const int64_t k = nb * kQK;
    auto q = make_weights(type, 1, k, rng);
    if (type == DType::Q8_0) q.blocks[2 + 3] = static_cast<std::byte>(0x80);  // q = -128
    q.values = dequant(type, q.blocks, k);
    for (int64_t rows = 1; rows <= 7; ++rows) {
      std::vector<float> x(static_cast<size_t>(rows * k));
      for (auto& v : x) v = static_cast<float>(rng.uniform(-2, 2));
      cpu::Q8Activations a;
      a.quantize(x.data(), rows, k, k);
      for (const cpu::Isa isa : host_tiers()) {
        for (bool fast : {false, true}) {
          SCOPED_TRACE(std::string(cpu::isa_name(isa)) + (fast ? " fast" : " reference") + " nb " +
                       std::to_string(nb) + " rows " + std::to_string(rows));
          std::vector<float> got(static_cast<size_t>(rows));
          cpu::dot_rows_q8(cpu::Ctx{nullptr, fast, isa}, type, q.blocks.data(), a, 0, rows,
                           got.data());
          for (int64_t r = 0; r < rows; ++r) {
            double exact = 0, sabs = 0;
            for (int64_t kk = 0; kk < k; ++kk) {
              const double t = q.values[kk] * a.row_d(r)[kk / kQK] * a.row_q(r)[kk];
              exact += t;
              sabs += std::fabs(t);
            }
            EXPECT_NEAR(got[r], exact, (nb + 2) * kEps32 * sabs + 1e-30) << "row " << r;
          }
        }
      }
    }
  }
}

// The tiled AVX512-VNNI form (prefill) against the exact integer arithmetic: every tile shape
// (1..4 activation rows x 1..4 weight rows, by 1..9 of each), odd block counts (a half pair at the
// end), and Q8_0's -128.
TEST_P(Quant, TilesMatchExactIntegers) {
  if (!cpu::has_q8_tiles(cpu::Ctx{})) GTEST_SKIP() << "no AVX512-VNNI on this CPU";
  Rng rng(13);
  const DType type = GetParam();
  for (int64_t nb : {1, 2, 3, 8, 33}) {
    const int64_t k = nb * kQK;
    for (int64_t wrows : {1, 3, 4, 9}) {
      auto q = make_weights(type, wrows, k, rng);
      if (type == DType::Q8_0) q.blocks[2 + 3] = static_cast<std::byte>(0x80);  // q = -128
      q.values = dequant(type, q.blocks, wrows * k);
      const int64_t row_bytes = static_cast<int64_t>(q.blocks.size()) / wrows;
      cpu::Q8WeightPanel panel;
      panel.pack(type, q.blocks.data(), row_bytes, wrows, nb);
      for (int64_t rows : {1, 2, 3, 4, 5, 9}) {
        std::vector<float> x(static_cast<size_t>(rows * k));
        for (auto& v : x) v = static_cast<float>(rng.uniform(-2, 2));
        cpu::Q8Activations a;
        a.quantize(x.data(), rows, k, k);
        std::vector<float> got(static_cast<size_t>(rows * wrows));
        cpu::q8_tile_dots(panel, a, 0, rows, got.data(), wrows);
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < wrows; ++c) {
            double exact = 0, sabs = 0;
            for (int64_t kk = 0; kk < k; ++kk) {
              const double t = q.values[c * k + kk] * a.row_d(r)[kk / kQK] * a.row_q(r)[kk];
              exact += t;
              sabs += std::fabs(t);
            }
            EXPECT_NEAR(got[r * wrows + c], exact, (nb + 2) * kEps32 * sabs + 1e-30)
                << "nb " << nb << " act row " << r << " of " << rows << ", weight row " << c
                << " of " << wrows;
          }
      }
    }
  }
}

// The repacked weights (decode and prefill on AVX512-VNNI) against the exact integer
// arithmetic: 1..4 activation rows per tile call, 1, 2 and 3 tiles, odd block counts, Q8_0's
// -128 and a zero block scale.
TEST_P(Quant, RepackedTilesMatchExactIntegers) {
  const DType type = GetParam();
  if (!cpu::RepackedWeight::supported(cpu::Ctx{}, type, 16, 32))
    GTEST_SKIP() << "no AVX512-VNNI on this CPU";
  Rng rng(14);
  for (int64_t nb : {1, 2, 3, 8, 33}) {
    const int64_t k = nb * kQK;
    for (int64_t wrows : {16, 32, 48}) {
      auto q = make_weights(type, wrows, k, rng);
      if (type == DType::Q8_0) q.blocks[2 + 3] = static_cast<std::byte>(0x80);  // q = -128
      const int64_t row_bytes = static_cast<int64_t>(q.blocks.size()) / wrows;
      std::memset(&q.blocks[5 * row_bytes], 0, 2);  // row 5, block 0: scale 0
      q.values = dequant(type, q.blocks, wrows * k);
      cpu::RepackArena arena;
      const cpu::RepackedWeight rw(cpu::Ctx{}, arena, type, q.blocks.data(), row_bytes, wrows, k);
      ASSERT_EQ(rw.bytes(), q.blocks.size());  // the same size as the file's layout
      for (int64_t rows : {1, 2, 3, 4}) {
        std::vector<float> x(static_cast<size_t>(rows * k));
        for (auto& v : x) v = static_cast<float>(rng.uniform(-2, 2));
        cpu::Q8Activations a;
        a.quantize(x.data(), rows, k, k);
        for (int64_t tile = 0; tile < wrows / 16; ++tile) {
          std::vector<float> got(static_cast<size_t>(rows * 16));
          rw.tile_dots(a, tile, 0, rows, got.data());
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t i = 0; i < 16; ++i) {
              const int64_t c = tile * 16 + i;
              double exact = 0, sabs = 0;
              for (int64_t kk = 0; kk < k; ++kk) {
                const double t = q.values[c * k + kk] * a.row_d(r)[kk / kQK] * a.row_q(r)[kk];
                exact += t;
                sabs += std::fabs(t);
              }
              EXPECT_NEAR(got[r * 16 + i], exact, (nb + 2) * kEps32 * sabs + 1e-30)
                  << "nb " << nb << " act row " << r << " of " << rows << ", weight row " << c;
            }
        }
      }
    }
  }
}

// The backend repacks a borrowed weight at its first product and gives what the file's layout
// gives: a decode row, a prefill block (with a tail of rows), a bias, and the same weight reused.
TEST_P(Quant, BackendRepackedLinearMatchesFileLayout) {
  const DType type = GetParam();
  Rng rng(15);
  const int64_t n = 48, k = 96;
  // Elsewhere both sides would take the file's layout, and the test could not fail.
  if (!cpu::RepackedWeight::supported(cpu::Ctx{}, type, n, k))
    GTEST_SKIP() << "no AVX512-VNNI on this CPU";
  auto q = make_weights(type, n, k, rng);
  auto owner = std::make_shared<std::vector<std::byte>>(q.blocks);
  CpuBackend be;
  const Tensor borrowed = be.upload_borrowed({n, k}, type, *owner, owner);
  const Tensor copied = be.upload({n, k}, type, q.blocks);
  const Tensor bias = be.upload_f16({n}, random_f16(rng, n));
  for (int64_t m : {1, 7, 1}) {
    const Tensor x = be.upload_f16({m, k}, random_f16(rng, m * k));
    expect_borrowed_linear_matches_copied(be, x, borrowed, copied, bias);
  }
}

// Small weights share a chunk; a chunk lives while a piece of it does; a piece larger than a
// chunk gets its own buffer.
TEST(RepackArena, PiecesShareChunksAndKeepThemAlive) {
  cpu::RepackArena arena;
  auto a = arena.allocate(100), b = arena.allocate(64);
  EXPECT_EQ(a.chunk, b.chunk);
  EXPECT_EQ(b.data - a.data, 128);  // 64-byte aligned pieces
  std::weak_ptr<cpu::HugeBuffer> first = a.chunk;
  auto big = arena.allocate(cpu::RepackArena::kChunkBytes + 1);
  EXPECT_NE(big.chunk, a.chunk);
  EXPECT_GE(big.chunk->size(), cpu::RepackArena::kChunkBytes + 1);
  auto c = arena.allocate(cpu::RepackArena::kChunkBytes - 100);  // does not fit: a new chunk
  EXPECT_NE(c.chunk, a.chunk);
  std::memset(c.data, 1, cpu::RepackArena::kChunkBytes - 100);
  a = {};
  b = {};
  EXPECT_TRUE(first.expired());
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
