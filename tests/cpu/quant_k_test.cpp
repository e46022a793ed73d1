// Q4_K / Q6_K weights with Q8_K activations (vm/cpu/quant_k.cpp). The formats and ggml's
// arithmetic are re-stated here from ggml (ggml-common.h layouts, get_scale_min_k4,
// quantize_row_q8_K_ref, ggml_vec_dot_q{4,6}_K_q8_K), independently of the kernels; the decoders
// are checked against ggml's own dequantized values (../shared/fixtures/gguf/quant_types.*).
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/common/ggml_blocks.h"
#include "tests/cpu/test_util.h"
#include "vm/cpu/kernels.h"
#include "vm/cpu/repack.h"
#include "vm/model/dequant.h"
#include "vm/model/model.h"

namespace tl::cpu_test {
namespace {

constexpr int kQKK = 256;

// One weight value as ggml's dot product sees it: scale part a = d·sc·q and offset part
// m = dmin·min (Q4_K; 0 for Q6_K), the value being a - m, both exact in double. With the integer
// parts, for exact integer sums.
struct KValue {
  double a = 0, m = 0;
  int q = 0, sc = 0, mn = 0;  // Q6_K: q already minus 32
  double d = 0, dmin = 0;
};

double f16_at(const std::byte* p) {
  f16_bits h;
  std::memcpy(&h, p, 2);
  return f16_to_f32(h);
}

// ggml's get_scale_min_k4.
void scale_min_k4(int j, const uint8_t* q, int& sc, int& mn) {
  if (j < 4) {
    sc = q[j] & 63;
    mn = q[j + 4] & 63;
  } else {
    sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    mn = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Decodes n values (whole super-blocks) the way ggml's dequantize_row_q4_K / _q6_K walk them.
std::vector<KValue> decode(DType t, const std::byte* src, int64_t n) {
  std::vector<KValue> out;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    if (t == DType::Q4_K) {
      const std::byte* blk = src + b * 144;
      const double d = f16_at(blk), dmin = f16_at(blk + 2);
      const auto* scales = reinterpret_cast<const uint8_t*>(blk + 4);
      const auto* q = reinterpret_cast<const uint8_t*>(blk + 16);
      for (int j = 0; j < 256; j += 64, q += 32)
        for (int half = 0; half < 2; ++half) {
          int sc, mn;
          scale_min_k4(j / 32 + half, scales, sc, mn);
          for (int l = 0; l < 32; ++l) {
            const int v = half ? q[l] >> 4 : q[l] & 0xF;
            out.push_back({d * sc * v, dmin * mn, v, sc, mn, d, dmin});
          }
        }
    } else {
      const std::byte* blk = src + b * 210;
      const auto* ql = reinterpret_cast<const uint8_t*>(blk);
      const auto* qh = reinterpret_cast<const uint8_t*>(blk + 128);
      const auto* sc = reinterpret_cast<const int8_t*>(blk + 192);
      const double d = f16_at(blk + 208);
      KValue v[256];
      for (int n128 = 0; n128 < 2; ++n128, ql += 64, qh += 32, sc += 8)
        for (int l = 0; l < 32; ++l) {
          const int is = l / 16;
          const int q[4] = {((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32,
                            ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32,
                            ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32,
                            ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32};
          for (int k = 0; k < 4; ++k) {
            const int s = sc[is + 2 * k];
            v[128 * n128 + l + 32 * k] = {d * s * q[k], 0, q[k], s, 0, d, 0};
          }
        }
      out.insert(out.end(), v, v + 256);
    }
  }
  return out;
}

// ggml's quantize_row_q8_K_ref (the x86 build's quantize_row_q8_K).
struct ActQ8K {
  std::vector<int> q;
  std::vector<float> d;
};
ActQ8K quantize_q8k(const float* x, int64_t n) {
  ActQ8K a;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    const float* xb = x + b * kQKK;
    float amax = 0, max = 0;
    for (int j = 0; j < kQKK; ++j)
      if (std::fabs(xb[j]) > amax) {
        amax = std::fabs(xb[j]);
        max = xb[j];
      }
    if (amax == 0) {
      a.d.push_back(0);
      a.q.insert(a.q.end(), kQKK, 0);
      continue;
    }
    const float iscale = -127.f / max;
    for (int j = 0; j < kQKK; ++j) {
      // nearest_int: round half to even through the f32 adder
      const float v = iscale * xb[j] + 12582912.f;
      const int i = (std::bit_cast<int32_t>(v) & 0x007fffff) - 0x00400000;
      a.q.push_back(std::min(127, i));
    }
    a.d.push_back(1 / iscale);
  }
  return a;
}

// Random blocks with finite, moderate scales; every 5th super-block an extreme one: largest
// quants and scales (Q4_K: 15 and 63 with mins 63; Q6_K: 31 or -32 with scale -128 or 127),
// zero scales, or dmin = 0.
std::vector<std::byte> random_k_blocks(DType t, int64_t rows, int64_t k, Rng& rng) {
  const int bytes = t == DType::Q4_K ? 144 : 210;
  const int64_t n = rows * k / kQKK;
  std::vector<std::byte> b(static_cast<size_t>(n * bytes));
  for (auto& x : b) x = static_cast<std::byte>(rng.integer(0, 255));
  for (int64_t i = 0; i < n; ++i) {
    std::byte* blk = b.data() + i * bytes;
    const int kind = static_cast<int>(i % 5);
    if (kind == 1) {  // extremes
      if (t == DType::Q4_K) {
        std::memset(blk + 4, 0xff, 140);  // scales, mins 63; quants 15
      } else {
        std::memset(blk, rng.integer(0, 1) ? 0xff : 0x00, 192);  // q = 31 or -32
        for (int j = 0; j < 16; ++j)
          blk[192 + j] = static_cast<std::byte>(j % 2 ? 0x80 : 0x7f);  // -128, 127
      }
    } else if (kind == 2) {  // zero scales (and Q4_K: zero mins) in half the sub-blocks
      if (t == DType::Q4_K)
        std::memset(blk + 4, 0, 4), std::memset(blk + 8, 0, 2);
      else
        std::memset(blk + 192, 0, 8);
    }
    for (int off : test::ggml_f16_scale_offsets(t)) {
      const double v = off == 2 && kind == 3 ? 0.0 : rng.uniform(0.0005, 0.01);
      const f16_bits h = f32_to_f16(static_cast<float>(v));
      std::memcpy(blk + off, &h, 2);
    }
  }
  return b;
}

// Q8_K activations filled directly: random quants with, per row, one super-block of 127s and one
// of -128s (values the quantizer does not produce but the kernels must take exactly), and bsums
// to match.
cpu::Q8KActivations random_acts(int64_t rows, int64_t k, Rng& rng) {
  cpu::Q8KActivations a;
  a.resize(rows, k);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t b = 0; b < a.blocks; ++b) {
      int8_t* q = a.q.data() + (r * a.blocks + b) * kQKK;
      const int64_t kind = (r + b) % 4;
      for (int j = 0; j < kQKK; ++j)
        q[j] = static_cast<int8_t>(kind == 1 ? 127 : kind == 2 ? -128 : rng.integer(-128, 127));
      for (int g = 0; g < 16; ++g) {
        int s = 0;
        for (int l = 0; l < 16; ++l) s += q[16 * g + l];
        a.bsums[(r * a.blocks + b) * 16 + g] = static_cast<int16_t>(s);
      }
      a.d[r * a.blocks + b] = static_cast<float>(rng.uniform(-0.02, 0.02));
    }
  return a;
}

class QuantK : public ::testing::TestWithParam<DType> {};

// Every tier (portable, AVX2, AVX512-VNNI where the machine has them; VNNI off for the AVX2 form
// on an AVX-512 machine) and the scalar reference against the exact integer arithmetic, for 1..7
// activation rows (the 4/2/1-row kernels) and 1..17 super-blocks. Each super-block's integer sum
// is exact, so what differs is the f32 arithmetic: a few roundings per super-block (the scale
// product, the int32 -> f32 conversion) and the sum over super-blocks and lanes, within
// (blocks + 8) eps_f32 sum|terms|. One wrong integer product moves the result by about
// |d_w d_x sc q x| ~ 2^11 d_w d_x, far beyond that.
TEST_P(QuantK, DotRowsEveryTierMatchExactIntegers) {
  Rng rng(21);
  const DType type = GetParam();
  for (int64_t nb : {1, 2, 3, 5, 17}) {
    const int64_t k = nb * kQKK;
    const auto w = random_k_blocks(type, 1, k, rng);
    const auto wv = decode(type, w.data(), k);
    for (int64_t rows = 1; rows <= 7; ++rows) {
      const cpu::Q8KActivations a = random_acts(rows, k, rng);
      std::vector<double> exact(rows), sabs(rows);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < k; ++i) {
          const double x = double(a.row_d(r)[i / kQKK]) * a.row_q(r)[i];
          exact[r] += x * (wv[i].a - wv[i].m);
          sabs[r] += std::fabs(x) * (std::fabs(wv[i].a) + std::fabs(wv[i].m));
        }
      for (const cpu::Isa isa : host_tiers())
        for (bool vnni : {false, true})
          for (bool fast : {false, true}) {
            SCOPED_TRACE(std::string(cpu::isa_name(isa)) + (vnni ? " vnni" : "") +
                         (fast ? " fast" : " reference") + " nb " + std::to_string(nb) + " rows " +
                         std::to_string(rows));
            std::vector<float> got(static_cast<size_t>(rows));
            cpu::dot_rows_q8k(cpu::Ctx{nullptr, fast, isa, vnni}, type, w.data(), a, 0, rows,
                              got.data());
            for (int64_t r = 0; r < rows; ++r)
              EXPECT_NEAR(got[r], exact[r], (nb + 8) * kEps32 * sabs[r] + 1e-30) << "row " << r;
          }
    }
  }
}

// An activation row offset (r0 > 0) and a single row after several: the kernels read the rows
// they are given.
TEST_P(QuantK, DotRowsHonourTheRowOffset) {
  Rng rng(22);
  const DType type = GetParam();
  const int64_t k = 3 * kQKK;
  const auto w = random_k_blocks(type, 1, k, rng);
  const cpu::Q8KActivations a = random_acts(9, k, rng);
  std::vector<float> all(9), one(1);
  for (const cpu::Isa isa : host_tiers()) {
    const cpu::Ctx ctx{nullptr, true, isa};
    cpu::dot_rows_q8k(ctx, type, w.data(), a, 0, 9, all.data());
    for (int64_t r = 0; r < 9; ++r) {
      cpu::dot_rows_q8k(ctx, type, w.data(), a, r, 1, one.data());
      std::vector<float> ref(1);
      cpu::dot_rows_q8k(cpu::Ctx{nullptr, false, isa}, type, w.data(), a, r, 1, ref.data());
      EXPECT_NEAR(one[0], all[r], 1e-6 * (1 + std::fabs(ref[0]))) << cpu::isa_name(isa) << r;
      EXPECT_NEAR(one[0], ref[0], 1e-5 * (1 + std::fabs(ref[0]))) << cpu::isa_name(isa) << r;
    }
  }
}

// The activation quantizer is ggml's quantize_row_q8_K_ref: the first value of largest magnitude
// sets the sign of d (d < 0 when it is positive), zeros give d = 0, ties round to even, bsums are
// the sums of 16. From f16 (every tier, one thread or the pool) it is bit for bit the same.
TEST(QuantQ8K, QuantizerMatchesGgml) {
  Rng rng(23);
  const int64_t rows = 5, k = 3 * kQKK;
  std::vector<f16_bits> xh = random_f16(rng, rows * k, -3, 3);
  for (int j = 0; j < kQKK; ++j) xh[kQKK + j] = f32_to_f16(0.0f);  // an all-zero super-block
  xh[2 * kQKK + 7] = f32_to_f16(-3.5f);                            // a negative extreme ...
  xh[2 * kQKK + 9] = f32_to_f16(3.5f);  // ... before a positive one of the same magnitude
  // Row 1, super-block 0: extreme +127 first, so iscale = -1 and the halves are ties (to even).
  for (int j = 0; j < kQKK; ++j) xh[k + j] = f32_to_f16(static_cast<float>(j % 9 - 4) + 0.5f);
  xh[k] = f32_to_f16(127.0f);
  std::vector<float> xf(xh.size());
  for (size_t i = 0; i < xh.size(); ++i) xf[i] = f16_to_f32(xh[i]);
  cpu::Q8KActivations want;
  want.quantize(xf.data(), rows, k, k);
  ASSERT_EQ(want.blocks, 3);
  for (int64_t r = 0; r < rows; ++r) {
    const ActQ8K g = quantize_q8k(xf.data() + r * k, k);
    for (int64_t b = 0; b < 3; ++b) {
      EXPECT_EQ(std::bit_cast<uint32_t>(want.row_d(r)[b]), std::bit_cast<uint32_t>(g.d[b]))
          << r << " " << b;
      for (int g16 = 0; g16 < 16; ++g16) {
        int s = 0;
        for (int l = 0; l < 16; ++l) {
          const int i = static_cast<int>(b) * kQKK + 16 * g16 + l;
          EXPECT_EQ(want.row_q(r)[i], g.q[i]) << r << " " << i;
          s += g.q[i];
        }
        EXPECT_EQ(want.row_bsums(r)[b * 16 + g16], s) << r << " " << b << " " << g16;
      }
    }
  }
  EXPECT_EQ(want.row_d(0)[1], 0.0f);
  EXPECT_GT(want.row_d(0)[2], 0.0f) << "the first extreme (-3.5) sets the sign";
  EXPECT_EQ(want.row_q(0)[2 * kQKK + 7], -127);
  EXPECT_EQ(want.row_q(0)[2 * kQKK + 9], 127);
  EXPECT_EQ(want.row_d(1)[0], -1.0f);
  EXPECT_EQ(want.row_q(1)[6], -2);  // 2.5 -> -2.5 -> -2
  EXPECT_EQ(want.row_q(1)[7], -4);  // 3.5 -> -3.5 -> -4
  cpu::ThreadPool pool(2);
  for (const cpu::Isa isa : host_tiers())
    for (cpu::ThreadPool* p : {static_cast<cpu::ThreadPool*>(nullptr), &pool})
      for (bool fast : {false, true}) {
        cpu::Q8KActivations got;
        got.quantize_f16(cpu::Ctx{p, fast, isa}, xh.data(), rows, k, k);
        EXPECT_EQ(got.q, want.q) << cpu::isa_name(isa);
        EXPECT_EQ(got.d, want.d) << cpu::isa_name(isa);
        EXPECT_EQ(got.bsums, want.bsums) << cpu::isa_name(isa);
      }
}

// A NaN or infinite activation is not lost (ggml leaves it undefined): its super-block's scale
// is NaN, and so is the product.
TEST(QuantQ8K, NaNAndInfinityReachTheProduct) {
  for (const float bad :
       {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity()}) {
    std::vector<float> x(2 * kQKK, 0.25f);
    x[kQKK + 5] = bad;
    cpu::Q8KActivations a;
    a.quantize(x.data(), 1, 2 * kQKK, 2 * kQKK);
    EXPECT_FALSE(std::isnan(a.d[0]));
    EXPECT_TRUE(std::isnan(a.d[1]));
    Rng rng(24);
    for (DType t : {DType::Q4_K, DType::Q6_K}) {
      const auto w = random_k_blocks(t, 1, 2 * kQKK, rng);
      for (const cpu::Isa isa : host_tiers())
        for (bool fast : {false, true}) {
          float y = 0;
          cpu::dot_rows_q8k(cpu::Ctx{nullptr, fast, isa}, t, w.data(), a, 0, 1, &y);
          EXPECT_TRUE(std::isnan(y)) << dtype_name(t) << " " << cpu::isa_name(isa) << " " << bad;
        }
    }
  }
}

// Checks the backends' linear(x, W) for W of `type` ([out, in], blocks `w`, ggml's dequantized
// values `wg`) against float64. Two checks per element:
//  * against sum_k (d_x q_x)_k w_k with the activations quantized as ggml does (re-stated
//    above) and the weights' exact values (d·sc·q - dmin·m): what remains is f32 arithmetic,
//    (blocks + 8) eps_f32 sum|terms|, and the f16 result;
//  * against sum_k x_k wg_k, ggml's dequantized weights times the f32 activations: on top of
//    that, each activation moves by at most half its super-block's step, |d_x|/2 = max|x|/254
//    (plus the f32 roundings of x·iscale and 1/iscale: 4 eps_f32 (|d_x|/2 + |x|)), so by
//    sum_k (|d_x|/2 (1 + 4 eps_f32) + 4 eps_f32 |x_k|) |w_k|; and ggml's f32 dequantization
//    (fl(fl(d·sc)·q) - fl(dmin·m)) differs from the exact weight by up to 3 eps_f32 (|d sc q| +
//    |dmin m|).
void check_linear(DType type, int64_t rows, int64_t out, int64_t in,
                  const std::vector<std::byte>& w, const std::vector<float>& wg, Rng& rng) {
  const auto wv = decode(type, w.data(), out * in);
  for (size_t i = 0; i < wv.size(); ++i)
    ASSERT_NEAR(wg[i], wv[i].a - wv[i].m, 3 * kEps32 * (std::fabs(wv[i].a) + std::fabs(wv[i].m)))
        << "the test's decoder agrees with ggml's at " << i;
  const auto x = random_f16(rng, rows * in);
  std::vector<float> xf(x.size());
  for (size_t i = 0; i < x.size(); ++i) xf[i] = f16_to_f32(x[i]);
  std::vector<double> want_q, extra_q, want_x, extra_x;
  for (int64_t r = 0; r < rows; ++r) {
    const ActQ8K a = quantize_q8k(xf.data() + r * in, in);
    for (int64_t o = 0; o < out; ++o) {
      double sq = 0, sabs = 0, sx = 0, qbound = 0, deq = 0;
      for (int64_t k = 0; k < in; ++k) {
        const KValue& v = wv[o * in + k];
        const double xq = double(a.d[k / kQKK]) * a.q[k], xe = xf[r * in + k];
        sq += xq * (v.a - v.m);
        sabs += std::fabs(xq) * (std::fabs(v.a) + std::fabs(v.m));
        sx += xe * wg[o * in + k];
        qbound += (std::fabs(a.d[k / kQKK]) / 2 * (1 + 4 * kEps32) + 4 * kEps32 * std::fabs(xe)) *
                  std::fabs(wg[o * in + k]);
        deq += 3 * kEps32 * std::fabs(xe) * (std::fabs(v.a) + std::fabs(v.m));
      }
      const double f32_sums = static_cast<double>(in / kQKK + 8) * kEps32 * sabs;
      want_q.push_back(sq);
      extra_q.push_back(f32_sums);
      want_x.push_back(sx);
      extra_x.push_back(f32_sums + qbound + deq);
    }
  }
  // A borrowed weight (a model's) is repacked where the machine has the tiles (repack.h).
  const auto owner = std::make_shared<std::vector<std::byte>>(w);
  for (CpuBackend* be : {&reference_backend(), &fast_backend()})
    for (bool borrowed : {false, true}) {
      const Tensor wt = borrowed ? be->upload_borrowed({out, in}, type, *owner, owner)
                                 : be->upload({out, in}, type, w);
      const auto y = download(*be, be->linear(be->upload_f16({rows, in}, x), wt, nullptr));
      const std::string what = std::string(be->name()) + (borrowed ? " borrowed" : "") +
                               " linear " + std::string(dtype_name(type)) + " rows " +
                               std::to_string(rows) + " out " + std::to_string(out) + " in " +
                               std::to_string(in);
      expect_close(y, want_q, extra_q, what + " (Q8_K activations)");
      expect_close(y, want_x, extra_x, what + " (f32 activations)");
    }
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// ggml's own Q4_K/Q6_K blocks and their dequantized values (quant_types.gguf and .expected.bin).
TEST_P(QuantK, LinearOnGgmlFixtureAgainstFloat64) {
  const std::filesystem::path dir = std::filesystem::path(TL_FIXTURES_DIR) / "gguf";
  if (!std::filesystem::exists(dir / "quant_types.expected.json")) GTEST_SKIP() << "no " << dir;
  const DType type = GetParam();
  const std::string name = "w." + std::string(dtype_name(type));
  const auto model = Model::open(dir / "quant_types.gguf");
  const TensorInfo* t = model->header().find(name);
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->dtype, type);
  const auto raw = model->raw(*t);
  const std::vector<std::byte> w(raw.begin(), raw.end());
  const auto meta = nlohmann::json::parse(read_file(dir / "quant_types.expected.json"));
  const std::string bin = read_file(dir / "quant_types.expected.bin");
  std::vector<float> wg;
  for (const auto& e : meta["tensors"])
    if (e["name"] == name) {
      wg.resize(e["count"].get<size_t>());
      std::memcpy(wg.data(), bin.data() + e["offset"].get<size_t>(), wg.size() * 4);
    }
  const int64_t out = t->shape[0], in = t->shape[1];
  ASSERT_EQ(static_cast<int64_t>(wg.size()), out * in);
  Rng rng(25);
  for (int64_t rows : {1, 2, 5}) check_linear(type, rows, out, in, w, wg, rng);
}

// Random weights over the shapes the kernels split differently: 1..7 rows (4/2/1-row steps),
// more than 64 (two activation chunks), several super-blocks, rows not a multiple of 16 (tasks).
TEST_P(QuantK, LinearOnRandomWeightsAgainstFloat64) {
  Rng rng(26);
  const DType type = GetParam();
  for (const auto& [rows, out, in] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 64, 4096}, {1, 33, 768}, {2, 9, 512}, {3, 21, 256}, {5, 40, 1280}, {70, 19, 512}}) {
    const auto w = random_k_blocks(type, out, in, rng);
    std::vector<float> wg(static_cast<size_t>(out * in));
    tl::dequantize_row(type, w.data(), wg.data(), out * in);  // bit for bit ggml's (tests/model)
    check_linear(type, rows, out, in, w, wg, rng);
  }
}

// Q4_K repacked in tiles of 16 rows (AVX512-VNNI) against the exact integer arithmetic and
// against dot_rows_q8k on the file's layout: 1..8 activation rows per tile call (every kernel
// width), an activation row offset, 1..17 super-blocks, 1..3 tiles, the extreme super-blocks of
// random_k_blocks. Each row's super-block sum is exact in int32 on both paths and is converted
// and scaled as ggml does; only the order of the f32 sums over super-blocks differs, so the two
// agree within 2 (blocks + 2) eps_f32 sum|terms| and each is within (blocks + 8) eps_f32
// sum|terms| of the exact value.
TEST(QuantKRepacked, TilesMatchExactIntegersAndTheFileLayout) {
  const DType type = DType::Q4_K;
  if (!cpu::RepackedWeight::supported(cpu::Ctx{}, type, 16, kQKK))
    GTEST_SKIP() << "no AVX512-VNNI on this CPU";
  Rng rng(27);
  for (int64_t nb : {1, 2, 3, 17}) {
    const int64_t k = nb * kQKK;
    for (int64_t wrows : {16, 48}) {
      const auto w = random_k_blocks(type, wrows, k, rng);
      const auto wv = decode(type, w.data(), wrows * k);
      const int64_t row_bytes = nb * 144;
      cpu::RepackArena arena;
      const cpu::RepackedWeight rw(cpu::Ctx{}, arena, type, w.data(), row_bytes, wrows, k);
      EXPECT_EQ(rw.bytes(), static_cast<size_t>(wrows * nb * 148));  // 4 bytes more per block
      const int64_t acts = 10;
      const cpu::Q8KActivations a = random_acts(acts, k, rng);
      for (int64_t mc = 1; mc <= cpu::RepackedWeight::kMaxRowsK; ++mc)
        for (int64_t m0 : {int64_t{0}, acts - mc}) {
          for (int64_t tile = 0; tile < wrows / 16; ++tile) {
            std::vector<float> got(static_cast<size_t>(mc * 16));
            rw.tile_dots(a, tile, m0, mc, got.data());
            for (int64_t i = 0; i < 16; ++i) {
              const int64_t c = tile * 16 + i;
              std::vector<float> file(static_cast<size_t>(mc));
              cpu::dot_rows_q8k(cpu::Ctx{}, type, w.data() + c * row_bytes, a, m0, mc, file.data());
              for (int64_t r = 0; r < mc; ++r) {
                double exact = 0, sabs = 0;
                for (int64_t kk = 0; kk < k; ++kk) {
                  const double x = double(a.row_d(m0 + r)[kk / kQKK]) * a.row_q(m0 + r)[kk];
                  const KValue& v = wv[c * k + kk];
                  exact += x * (v.a - v.m);
                  sabs += std::fabs(x) * (std::fabs(v.a) + std::fabs(v.m));
                }
                const float g = got[r * 16 + i];
                EXPECT_NEAR(g, exact, (nb + 8) * kEps32 * sabs + 1e-30)
                    << "nb " << nb << " rows " << mc << " from " << m0 << ", weight row " << c;
                EXPECT_NEAR(g, file[r], 2 * (nb + 2) * kEps32 * sabs + 1e-30)
                    << "nb " << nb << " rows " << mc << " from " << m0 << ", weight row " << c;
              }
            }
          }
        }
    }
  }
  // Rows not a multiple of 16 and other formats keep the file's layout.
  EXPECT_FALSE(cpu::RepackedWeight::supported(cpu::Ctx{}, type, 24, kQKK));
  EXPECT_FALSE(cpu::RepackedWeight::supported(cpu::Ctx{}, DType::Q6_K, 16, kQKK));
  // A capped tier (TL_CPU_ISA=avx2) or VNNI off takes the file's layout too.
  EXPECT_FALSE(
      cpu::RepackedWeight::supported(cpu::Ctx{nullptr, true, cpu::Isa::Avx2}, type, 16, kQKK));
  EXPECT_FALSE(cpu::RepackedWeight::supported(cpu::Ctx{nullptr, true, cpu::Isa::Avx512, false},
                                              type, 16, kQKK));
}

// The backend repacks a borrowed Q4_K weight at its first product, once: the later products use
// the repacked copy (bytes changed behind it afterwards are not read; a borrowed buffer never
// changes, so this only shows which copy is read), for decode and prefill row counts, with and
// without a bias; the results match the file's layout (a copied weight) within an f16 rounding.
TEST(QuantKRepacked, BackendRepacksOnceAndMatchesTheFileLayout) {
  const DType type = DType::Q4_K;
  const int64_t n = 48, k = 3 * kQKK;
  if (!cpu::RepackedWeight::supported(cpu::Ctx{}, type, n, k))
    GTEST_SKIP() << "no AVX512-VNNI on this CPU";
  Rng rng(28);
  const auto w = random_k_blocks(type, n, k, rng);
  auto owner = std::make_shared<std::vector<std::byte>>(w);
  CpuBackend be;
  const Tensor borrowed = be.upload_borrowed({n, k}, type, *owner, owner);
  const Tensor copied = be.upload({n, k}, type, w);
  const Tensor bias = be.upload_f16({n}, random_f16(rng, n));
  const cpu::RepackedWeight* first = nullptr;
  for (int64_t m : {1, 2, 3, 4, 5, 17, 1}) {
    const Tensor x = be.upload_f16({m, k}, random_f16(rng, m * k));
    expect_borrowed_linear_matches_copied(be, x, borrowed, copied, bias);
    cpu::RepackArena unused;
    const cpu::RepackedWeight* now =
        static_cast<CpuBuffer&>(*borrowed.buffer).repacked(cpu::Ctx{}, unused, type, n, k);
    ASSERT_NE(now, nullptr);
    if (!first) {
      first = now;
      std::fill(owner->begin(), owner->end(), std::byte{0});  // the file's bytes are not read
    }
    EXPECT_EQ(now, first) << "repacked once, at the first product";
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, QuantK, ::testing::Values(DType::Q4_K, DType::Q6_K),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

}  // namespace
}  // namespace tl::cpu_test
