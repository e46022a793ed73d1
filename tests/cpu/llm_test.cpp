// The language-model ops of the CPU backend (arg_reduce, embedding, rope, attention): the
// reference against float64 (tests/common/llm_reference64.h), the fast path against the
// reference, and attention against the same computation done with the pieces (matmul, mask,
// softmax, matmul). Tolerances are stated per test (see test_util.h for the convention).
#include <algorithm>
#include <limits>

#include "tests/common/llm_reference64.h"
#include "tests/cpu/test_util.h"
#include "vm/core/error.h"
#include "vm/cpu/kernels.h"
#include "vm/model/dequant.h"

namespace tl::cpu_test {
namespace {

// ---- argmax / argmin ----

std::vector<int64_t> arg64(ArgOp op, const std::vector<double>& x, int64_t outer, int64_t n,
                           int64_t inner) {
  std::vector<int64_t> y;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t best = 0;
      for (int64_t j = 1; j < n; ++j) {
        const double v = x[(o * n + j) * inner + i], b = x[(o * n + best) * inner + i];
        if (op == ArgOp::ArgMax ? v > b : v < b) best = j;
      }
      y.push_back(best);
    }
  return y;
}

TEST(LlmArgReduce, ExactAgainstFloat64OnBothPaths) {
  Rng rng(1);
  // Coarse values so ties are frequent (the first index must win); sizes past f16's 2048.
  for (const Shape& s : {Shape{7}, Shape{40000}, Shape{3, 5, 4}, Shape{2, 3000}, Shape{5000, 3}}) {
    std::vector<f16_bits> x(static_cast<size_t>(s.numel()));
    for (auto& e : x) e = f64_to_f16(static_cast<double>(rng.integer(-20, 20)));
    const auto xd = to_f64(x);
    for (ArgOp op : {ArgOp::ArgMax, ArgOp::ArgMin})
      for (int dim = -1; dim < static_cast<int>(s.rank()); ++dim) {
        int64_t outer = 1, n = s.numel(), inner = 1;
        if (dim >= 0) {
          n = s[dim];
          for (int i = 0; i < dim; ++i) outer *= s[i];
          for (size_t i = dim + 1; i < s.rank(); ++i) inner *= s[i];
        }
        const auto want = arg64(op, xd, outer, n, inner);
        const std::optional<int> d = dim < 0 ? std::nullopt : std::optional<int>(dim);
        EXPECT_EQ(reference_backend().arg_reduce(op, reference_backend().upload_f16(s, x), d), want)
            << op_name(op) << " " << s.to_string() << " dim " << dim;
        EXPECT_EQ(fast_backend().arg_reduce(op, fast_backend().upload_f16(s, x), d), want)
            << op_name(op) << " " << s.to_string() << " dim " << dim;
      }
  }
}

TEST(LlmArgReduce, LargeIndexIsExact) {
  // The bug this replaces: an index held in f16 (31999 read back as 32000).
  std::vector<f16_bits> x(32000, f32_to_f16(0.0f));
  x[31999] = f32_to_f16(1.0f);
  EXPECT_EQ(
      fast_backend().arg_reduce(ArgOp::ArgMax, fast_backend().upload_f16({32000}, x), std::nullopt),
      std::vector<int64_t>{31999});
  EXPECT_EQ(reference_backend().arg_reduce(ArgOp::ArgMin,
                                           reference_backend().upload_f16({1, 32000}, x), 1),
            std::vector<int64_t>{0});
}

// ---- embedding ----

TEST(LlmEmbedding, F16RowsAreCopied) {
  Rng rng(2);
  const auto table = random_f16(rng, 11 * 6);
  const std::vector<int64_t> ids = {3, 0, 10, 3};
  for (CpuBackend* be : {&reference_backend(), &fast_backend()}) {
    const Tensor y = be->embedding(be->upload_f16({11, 6}, table), ids);
    EXPECT_EQ(y.shape, (Shape{4, 6}));
    const auto got = download(*be, y);
    for (size_t t = 0; t < ids.size(); ++t)
      for (int64_t d = 0; d < 6; ++d) EXPECT_EQ(got[t * 6 + d], table[ids[t] * 6 + d]);
  }
}

TEST(LlmEmbedding, QuantizedRowsMatchDequantizeRow) {
  // Each type's rows against vm/model's dequantize_row (bit-exact with ggml), rounded to f16.
  for (DType type : {DType::Q4_0, DType::Q8_0, DType::Q4_1, DType::Q5_0, DType::Q4_K, DType::Q5_K,
                     DType::Q6_K, DType::Q2_K, DType::Q3_K}) {
    const int64_t V = 9, D = 512;
    const auto bytes = test::random_quant_rows(type, V, D, 3);
    const int64_t row_bytes = static_cast<int64_t>(bytes.size()) / V;
    const std::vector<int64_t> ids = {8, 2, 2, 0};
    std::vector<f16_bits> want;
    std::vector<float> row(D);
    for (int64_t id : ids) {
      dequantize_row(type, bytes.data() + id * row_bytes, row.data(), D);
      for (float f : row) want.push_back(f32_to_f16(f));
    }
    for (CpuBackend* be : {&reference_backend(), &fast_backend()}) {
      const Tensor table = be->upload({V, D}, type, bytes);
      expect_bits_equal(download(*be, be->embedding(table, ids)), want,
                        std::string(dtype_name(type)) + " " + std::string(be->name()));
    }
  }
}

TEST(LlmEmbedding, OutOfRangeIdNamesIdAndRows) {
  const Tensor table = fast_backend().full({5, 4}, 1.0f);
  const std::vector<int64_t> bad = {1, 5};
  try {
    fast_backend().embedding(table, bad);
    FAIL() << "no error";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("token id 5 is out of range for a table of 5 rows"),
              std::string::npos)
        << e.what();
  }
  const std::vector<int64_t> negative = {-1};
  EXPECT_THROW(fast_backend().embedding(table, negative), RuntimeError);
  EXPECT_THROW(fast_backend().embedding(fast_backend().full({20}, 1.0f), std::vector<int64_t>{0}),
               RuntimeError);
}

// ---- rope ----

TEST(LlmRope, AgainstFloat64UpToLongPositions) {
  Rng rng(4);
  const int64_t T = 5, H = 3, hd = 64;
  const auto x = random_f16(rng, T * H * hd);
  const auto xd = to_f64(x);
  for (RopeMode mode : {RopeMode::Norm, RopeMode::Neox})
    for (int64_t start : {int64_t{0}, int64_t{17}, int64_t{4090}})
      for (double base : {10000.0, 500000.0}) {
        const auto want = test::rope64(xd, T, H, hd, start, base, mode);
        // The f32 angle (llama.cpp's recurrence: up to ~i+2 roundings relative, on an angle up to
        // the position) and cosf/sinf; the rotation itself adds a few f32 roundings.
        std::vector<double> extra(want.size());
        for (int64_t t = 0; t < T; ++t)
          for (int64_t h = 0; h < H; ++h)
            for (int64_t i = 0; i < hd; ++i) {
              const int64_t pair = mode == RopeMode::Norm ? i / 2 : i % (hd / 2);
              const double angle =
                  static_cast<double>(start + t) * std::pow(base, -2.0 * pair / hd);
              extra[(t * H + h) * hd + i] = 4.0 * (angle * (pair + 3) * kEps32 + 4 * kEps32);
            }
        const Tensor r = reference_backend().rope(reference_backend().upload_f16({T, H, hd}, x),
                                                  start, float(base), mode);
        const auto got = download(reference_backend(), r);
        expect_close(got, want, extra,
                     "rope start " + std::to_string(start) + " base " + std::to_string(base));
        expect_bits_equal(
            download(fast_backend(), fast_backend().rope(fast_backend().upload_f16({T, H, hd}, x),
                                                         start, float(base), mode)),
            got, "rope fast vs reference");
      }
}

TEST(LlmRope, PositionZeroIsIdentityAndErrors) {
  Rng rng(5);
  const auto x = random_f16(rng, 2 * 2 * 8);
  const Tensor y =
      fast_backend().rope(fast_backend().upload_f16({1, 4, 8}, x), 0, 10000.0f, RopeMode::Norm);
  EXPECT_EQ(download(fast_backend(), y), x);
  EXPECT_THROW(fast_backend().rope(fast_backend().full({2, 8}, 1.0f), 0, 1e4f, RopeMode::Norm),
               RuntimeError);
  EXPECT_THROW(fast_backend().rope(fast_backend().full({2, 1, 7}, 1.0f), 0, 1e4f, RopeMode::Norm),
               RuntimeError);
  EXPECT_THROW(fast_backend().rope(fast_backend().full({2, 1, 8}, 1.0f), -1, 1e4f, RopeMode::Norm),
               RuntimeError);
}

// ---- attention ----

struct AttnCase {
  int64_t T, H, Hkv, hd, S, start;
};

// Inputs for a case; cache rows past start + T hold NaN (they must never be read).
struct AttnInputs {
  std::vector<f16_bits> q, k, v;
};
AttnInputs attention_inputs(const AttnCase& c, uint64_t seed) {
  Rng rng(seed);
  AttnInputs in{random_f16(rng, c.T * c.H * c.hd, -1.5, 1.5),
                random_f16(rng, c.S * c.Hkv * c.hd, -1.5, 1.5),
                random_f16(rng, c.S * c.Hkv * c.hd)};
  for (int64_t i = (c.start + c.T) * c.Hkv * c.hd; i < c.S * c.Hkv * c.hd; ++i)
    in.k[i] = in.v[i] = 0x7e00;
  return in;
}

const AttnCase kAttnCases[] = {
    {1, 4, 4, 16, 1, 0},      // one token
    {6, 4, 4, 16, 6, 0},      // prefill, no cache beyond
    {5, 8, 2, 32, 20, 3},     // grouped-query, part of a longer cache
    {1, 8, 1, 64, 300, 200},  // decode step, multi-query
    {3, 2, 2, 20, 9, 4},      // head dim not a multiple of 16 (SIMD tail)
    // The AVX-512 blocked form: blocks of 16 rows and a tail, heads in groups of 8/4/2/1, head
    // dims in chunks of 2/4/1.
    {3, 32, 4, 64, 70, 40},  // 8 query heads per kv head (TinyLlama's), 2 blocks + 11 rows
    {2, 6, 2, 80, 40, 33},   // 3 heads per kv head (2 + 1), 5 chunks of 16 (4 + 1)
    {1, 4, 1, 128, 50, 49},  // 4 heads per kv head, 8 chunks
    {17, 2, 2, 16, 17, 0},   // one chunk, prefill across a block boundary
};

TEST(LlmAttention, AgainstFloat64AndFastAgainstReference) {
  for (const AttnCase& c : kAttnCases) {
    const AttnInputs in = attention_inputs(c, 6 + c.S);
    const double scale = 1.0 / std::sqrt(static_cast<double>(c.hd));
    const auto want = test::attention64(to_f64(in.q), to_f64(in.k), to_f64(in.v), c.T, c.H, c.Hkv,
                                        c.hd, c.start, scale);
    // f32 scores (hd products), exp and sums over up to S terms: relative 2 * (hd + S) eps32 of
    // the output scale (|v| <= 2).
    const std::vector<double> extra(want.size(), 2.0 * 2 * (c.hd + c.S + 8) * kEps32);
    const std::string what = "attention T " + std::to_string(c.T) + " H " + std::to_string(c.H) +
                             "/" + std::to_string(c.Hkv) + " S " + std::to_string(c.S);
    std::vector<f16_bits> got[2];
    int i = 0;
    for (CpuBackend* be : {&reference_backend(), &fast_backend()}) {
      const Tensor y = be->attention(
          be->upload_f16({c.T, c.H, c.hd}, in.q), be->upload_f16({c.S, c.Hkv, c.hd}, in.k),
          be->upload_f16({c.S, c.Hkv, c.hd}, in.v), c.start, static_cast<float>(scale));
      EXPECT_EQ(y.shape, (Shape{c.T, c.H, c.hd}));
      got[i] = download(*be, y);
      expect_close(got[i++], want, extra, what + " " + std::string(be->name()));
    }
    // Fast vs reference: both f32; they differ in summation order (FMA, SIMD), within 1 f16 ulp.
    // Every kernel tier this CPU has (AVX-512, AVX2, portable), on one thread and on two.
    cpu::ThreadPool pool(2);
    const AttentionDims dims{c.T, c.H, c.hd, c.S, c.Hkv};
    for (const cpu::Isa isa : host_tiers())
      for (cpu::ThreadPool* p : {static_cast<cpu::ThreadPool*>(nullptr), &pool}) {
        const cpu::Ctx ctx{p, true, isa};
        std::vector<float> scratch(cpu::attention_scratch_floats(ctx, dims, c.start));
        std::vector<f16_bits> y(got[0].size());
        cpu::attention(ctx, in.q.data(), in.k.data(), in.v.data(), y.data(), dims, c.start,
                       static_cast<float>(scale), scratch);
        for (size_t j = 0; j < got[0].size(); ++j)
          ASSERT_LE(std::fabs(f16_to_f32(got[0][j]) - f16_to_f32(y[j])),
                    ulp_f16(f16_to_f32(got[0][j])) * 1.01)
              << what << " " << cpu::isa_name(isa) << (p ? " 2 threads" : "") << " element " << j;
      }
  }
}

// The same attention computed with the pieces a TL program would write: per head,
// softmax(q_h @ k_g^T * scale + causal_mask) @ v_g, each piece rounded to f16.
TEST(LlmAttention, EqualsThePieces) {
  const AttnCase c{7, 6, 3, 16, 12, 5};
  const AttnInputs in = attention_inputs(c, 77);
  CpuBackend& be = fast_backend();
  const float scale = 0.25f;
  const Tensor q = be.upload_f16({c.T, c.H, c.hd}, in.q),
               k = be.upload_f16({c.S, c.Hkv, c.hd}, in.k),
               v = be.upload_f16({c.S, c.Hkv, c.hd}, in.v);
  const auto fused = download(be, be.attention(q, k, v, c.start, scale));
  const int64_t n = c.start + c.T;
  std::vector<f16_bits> mask(static_cast<size_t>(c.T * n));
  for (int64_t t = 0; t < c.T; ++t)
    for (int64_t s = 0; s < n; ++s)
      mask[t * n + s] =
          s <= t + c.start ? f32_to_f16(0.0f) : f32_to_f16(-std::numeric_limits<float>::infinity());
  const Tensor m = be.upload_f16({c.T, n}, mask);
  for (int64_t h = 0; h < c.H; ++h) {
    const int64_t g = h / (c.H / c.Hkv);
    const SliceAxis qh[] = {{0, c.T, 1}, {h, h + 1, 1}, {0, c.hd, 1}};
    const SliceAxis kg[] = {{0, n, 1}, {g, g + 1, 1}, {0, c.hd, 1}};
    const Tensor qm = be.slice(q, qh).reshaped(Shape{c.T, c.hd});
    const Tensor km = be.slice(k, kg).reshaped(Shape{n, c.hd});
    const Tensor vm = be.slice(v, kg).reshaped(Shape{n, c.hd});
    const int perm[] = {1, 0};
    const Tensor scores = be.binary(
        BinaryOp::Add,
        be.binary_scalar(BinaryOp::Mul, be.matmul(qm, be.permute(km, perm)), scale, false), m);
    const auto pieces = download(be, be.matmul(be.softmax(scores, 1), vm));
    // The pieces round scores and probabilities to f16: |Δp| <= p * (|s| + 1) * 2^-10, so the
    // outputs (|v| <= 2) move by up to ~2 * (max |s| + 1) * 2^-10 ~ 0.01.
    for (int64_t t = 0; t < c.T; ++t)
      for (int64_t i = 0; i < c.hd; ++i)
        ASSERT_NEAR(f16_to_f32(fused[(t * c.H + h) * c.hd + i]), f16_to_f32(pieces[t * c.hd + i]),
                    0.01)
            << "head " << h << " query " << t << " dim " << i;
  }
}

TEST(LlmAttention, ShapeErrors) {
  CpuBackend& be = fast_backend();
  const Tensor q = be.full({2, 4, 8}, 0.5f), k = be.full({6, 2, 8}, 0.5f);
  EXPECT_THROW(be.attention(q, k, be.full({6, 2, 4}, 0.5f), 0, 1.0f), RuntimeError);  // k != v
  EXPECT_THROW(be.attention(q, be.full({6, 3, 8}, 0.5f), be.full({6, 3, 8}, 0.5f), 0, 1.0f),
               RuntimeError);                                                      // 4 % 3
  EXPECT_THROW(be.attention(q, k, k, 5, 1.0f), RuntimeError);                      // 5 + 2 > 6
  EXPECT_THROW(be.attention(be.full({2, 8}, 0.5f), k, k, 0, 1.0f), RuntimeError);  // rank
  EXPECT_NO_THROW(be.attention(q, k, k, 4, 1.0f));
}

}  // namespace
}  // namespace tl::cpu_test
