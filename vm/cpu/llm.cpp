// The language-model kernels: arg_reduce (argmax/argmin), embedding, rope, attention. Each has
// its reference (plain loops over half.h conversions, the spec the tests check against float64)
// beside its fast path. arg_reduce, embedding and rope agree bit for bit between the two;
// attention's fast path (SIMD dot products, FMA, exp_f32) agrees within f32 rounding.
#include <math.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "vm/cpu/convert.h"
#include "vm/cpu/kernels.h"
#include "vm/cpu/simd.h"
#include "vm/tensor/llm.h"

#if TL_CPU_HAVE_DEQUANT
#include "vm/model/dequant.h"
#endif

namespace tl::cpu {

// ---- arg_reduce ------------------------------------------------------------------------------

namespace {
// The running best of an argmax/argmin: the first extreme wins ties, the first NaN wins outright.
struct ArgAcc {
  float v = 0.0f;
  int64_t idx = -1;
  bool nan = false;
  void fold(bool is_max, float x, int64_t j) {
    if (nan) return;
    if (std::isnan(x)) {
      nan = true;
      idx = j;
    } else if (idx < 0 || (is_max ? x > v : x < v)) {
      v = x;
      idx = j;
    }
  }
};
constexpr int64_t kArgBlock = 4096;
}  // namespace

void arg_reduce(const Ctx& ctx, ArgOp op, const f16_bits* x, int64_t* y, int64_t outer, int64_t n,
                int64_t inner) {
  const bool is_max = op == ArgOp::ArgMax;
  if (!ctx.fast) {
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        ArgAcc a;
        for (int64_t j = 0; j < n; ++j) a.fold(is_max, f16_to_f32(x[(o * n + j) * inner + i]), j);
        y[o * inner + i] = a.idx;
      }
    return;
  }
  const Ctx run = outer * n * inner >= (1 << 16) ? ctx : Ctx{nullptr, true};
  if (inner == 1) {
    parallel(run, outer, [&](int64_t o) {
      float buf[kArgBlock];
      ArgAcc a;
      for (int64_t j0 = 0; j0 < n; j0 += kArgBlock) {
        const int64_t len = std::min(kArgBlock, n - j0);
        f16_to_f32_row(x + o * n + j0, buf, len);
        for (int64_t j = 0; j < len; ++j) a.fold(is_max, buf[j], j0 + j);
      }
      y[o] = a.idx;
    });
    return;
  }
  const int64_t tile = std::min(inner, kArgBlock), tiles = (inner + tile - 1) / tile;
  parallel(run, outer * tiles, [&](int64_t task) {
    const int64_t o = task / tiles, i0 = task % tiles * tile, len = std::min(tile, inner - i0);
    std::vector<float> buf(static_cast<size_t>(len));
    std::vector<ArgAcc> acc(static_cast<size_t>(len));
    for (int64_t j = 0; j < n; ++j) {
      f16_to_f32_row(x + (o * n + j) * inner + i0, buf.data(), len);
      for (int64_t i = 0; i < len; ++i) acc[i].fold(is_max, buf[i], j);
    }
    for (int64_t i = 0; i < len; ++i) y[o * inner + i0 + i] = acc[i].idx;
  });
}

// ---- embedding --------------------------------------------------------------------------------

void embedding(const Ctx& ctx, DType type, const std::byte* table, int64_t row_bytes, int64_t D,
               std::span<const int64_t> ids, f16_bits* y) {
  const int64_t T = static_cast<int64_t>(ids.size());
  if (type == DType::F16) {
    for (int64_t t = 0; t < T; ++t)
      std::memcpy(y + t * D, table + ids[t] * row_bytes, static_cast<size_t>(D) * 2);
    return;
  }
  if (!ctx.fast) {
    std::vector<float> row(static_cast<size_t>(D));
    for (int64_t t = 0; t < T; ++t) {
#if TL_CPU_HAVE_DEQUANT
      dequantize_row(type, table + ids[t] * row_bytes, row.data(), D);
#else
      dequantize(type, table + ids[t] * row_bytes, row.data(), D, false);
#endif
      f32_to_f16_row_ref(row.data(), y + t * D, D);
    }
    return;
  }
  parallel(T * D >= (1 << 16) ? ctx : Ctx{nullptr, true}, T, [&](int64_t t) {
    std::vector<float> row(static_cast<size_t>(D));
    dequantize(type, table + ids[t] * row_bytes, row.data(), D, true);
    f32_to_f16_row(row.data(), y + t * D, D);
  });
}

// ---- rope -------------------------------------------------------------------------------------

namespace {
// Rotates one head vector in f32 with the angles of its position; one rounding per element.
inline void rope_head(RopeMode mode, const f16_bits* x, f16_bits* y, int64_t hd,
                      const float* cos_sin) {
  const int64_t half = hd / 2;
  for (int64_t i = 0; i < half; ++i) {
    const int64_t a = mode == RopeMode::Norm ? 2 * i : i;
    const int64_t b = mode == RopeMode::Norm ? 2 * i + 1 : i + half;
    const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
    const float x0 = f16_to_f32(x[a]), x1 = f16_to_f32(x[b]);
    y[a] = f32_to_f16(x0 * c - x1 * s);
    y[b] = f32_to_f16(x0 * s + x1 * c);
  }
}
}  // namespace

void rope(const Ctx& ctx, RopeMode mode, const f16_bits* x, f16_bits* y, int64_t T, int64_t H,
          int64_t hd, int64_t start, float theta) {
  if (!ctx.fast) {
    std::vector<float> cs(static_cast<size_t>(hd));
    for (int64_t t = 0; t < T; ++t)
      for (int64_t h = 0; h < H; ++h) {
        rope_angles(start + t, hd, theta, cs.data());
        rope_head(mode, x + (t * H + h) * hd, y + (t * H + h) * hd, hd, cs.data());
      }
    return;
  }
  // The angles of a position once for all its heads; positions spread over the pool. A
  // position's heads are converted to f32 and back a row at a time (the SIMD conversions are
  // bit-identical to the scalar ones), and rotated in f32 in between with the reference's
  // arithmetic: the same bits.
  parallel(T * H * hd >= (1 << 15) ? ctx : Ctx{nullptr, true}, T, [&](int64_t t) {
    std::vector<float> cs(static_cast<size_t>(hd)), in(static_cast<size_t>(H * hd)),
        out(static_cast<size_t>(H * hd));
    rope_angles(start + t, hd, theta, cs.data());
    f16_to_f32_row(x + t * H * hd, in.data(), H * hd);
    const int64_t half = hd / 2;
    for (int64_t h = 0; h < H; ++h) {
      const float* xi = in.data() + h * hd;
      float* yo = out.data() + h * hd;
      for (int64_t i = 0; i < half; ++i) {
        const int64_t a = mode == RopeMode::Norm ? 2 * i : i;
        const int64_t b = mode == RopeMode::Norm ? 2 * i + 1 : i + half;
        const float c = cs[2 * i], sn = cs[2 * i + 1];
        yo[a] = xi[a] * c - xi[b] * sn;
        yo[b] = xi[a] * sn + xi[b] * c;
      }
    }
    f32_to_f16_row(out.data(), y + t * H * hd, H * hd);
  });
}

// ---- attention --------------------------------------------------------------------------------

namespace {

// The reference for one (query t, head h): the definition, in f32, in index order.
void attention_ref_one(const f16_bits* q, const f16_bits* k, const f16_bits* v, f16_bits* y,
                       const AttentionDims& d, int64_t start, float scale, int64_t t, int64_t h) {
  const int64_t g = h / d.group(), n = start + t + 1, hd = d.hd;
  const f16_bits* qh = q + (t * d.H + h) * hd;
  std::vector<float> s(static_cast<size_t>(n));
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t r = 0; r < n; ++r) {
    const f16_bits* kr = k + (r * d.Hkv + g) * hd;
    float dot = 0.0f;
    for (int64_t i = 0; i < hd; ++i) dot += f16_to_f32(qh[i]) * f16_to_f32(kr[i]);
    s[r] = dot * scale;
    m = std::max(m, s[r]);
  }
  float sum = 0.0f;
  for (int64_t r = 0; r < n; ++r) {
    s[r] = std::exp(s[r] - m);
    sum += s[r];
  }
  for (int64_t i = 0; i < hd; ++i) {
    float acc = 0.0f;
    for (int64_t r = 0; r < n; ++r) acc += s[r] * f16_to_f32(v[(r * d.Hkv + g) * hd + i]);
    y[(t * d.H + h) * hd + i] = f32_to_f16(acc / sum);
  }
}

}  // namespace

// The fast path works on one task per (query row t, kv head g): the `group` query heads that share
// that kv head read each key and value row once (converted to f32 once), so grouped-query
// attention reads K and V a group's worth fewer times. Per task, in f32: scores s[j][r] =
// (q_j . k_r) * scale for the rows r <= start + t, a softmax per head, then the weighted sum of
// the value rows. The three loops over hd are the ISA's (AVX-512, AVX2 or portable).
namespace {

struct AttentionTask {
  const f16_bits *q, *k, *v;
  f16_bits* y;
  const AttentionDims& d;
  int64_t start;
  float scale;
};

// Per worker scratch, in floats: scores [group, start+T], queries and accumulators [group, hd],
// one converted key or value row [hd], the softmax sums [group], and the AVX-512 form's partial
// dot products [group, 16 rows, 16 lanes].
int64_t attention_slot_floats(const AttentionDims& d, int64_t start) {
  return d.group() * (start + d.T) + 2 * d.group() * d.hd + d.hd + d.group() + d.group() * 256;
}

// The loops over hd: dot(a, b), acc += w * b (a, b, acc f32), one kind per ISA.
struct PortableLoops {
  static float dot(const float* a, const float* b, int64_t n) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
    return sum;
  }
  static void axpy(float w, const float* b, float* acc, int64_t n) {
    for (int64_t i = 0; i < n; ++i) acc[i] += w * b[i];
  }
};

// One task; `Loops` supplies the hd loops and `convert` the f16 -> f32 row conversion. Inlined
// into each ISA's entry point below, so the loops compile for that ISA.
template <class Loops, class Convert>
inline __attribute__((always_inline)) void attention_task(const AttentionTask& a, float* slot,
                                                          int64_t t, int64_t g, Convert convert) {
  const AttentionDims& d = a.d;
  const int64_t G = d.group(), hd = d.hd, n = a.start + t + 1, cap = a.start + d.T;
  float* scores = slot;          // [G, cap]
  float* qf = scores + G * cap;  // [G, hd]
  float* acc = qf + G * hd;      // [G, hd]
  float* row = acc + G * hd;     // [hd]
  float* sums = row + hd;        // [G]
  for (int64_t j = 0; j < G; ++j) convert(a.q + (t * d.H + g * G + j) * hd, qf + j * hd, hd);
  for (int64_t r = 0; r < n; ++r) {
    convert(a.k + (r * d.Hkv + g) * hd, row, hd);
    for (int64_t j = 0; j < G; ++j)
      scores[j * cap + r] = Loops::dot(qf + j * hd, row, hd) * a.scale;
  }
  for (int64_t j = 0; j < G; ++j) {
    float* s = scores + j * cap;
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t r = 0; r < n; ++r) m = std::max(m, s[r]);
    float sum = 0.0f;
    for (int64_t r = 0; r < n; ++r) {
      s[r] = exp_f32(s[r] - m);
      sum += s[r];
    }
    sums[j] = sum;
  }
  std::fill_n(acc, G * hd, 0.0f);
  for (int64_t r = 0; r < n; ++r) {
    convert(a.v + (r * d.Hkv + g) * hd, row, hd);
    for (int64_t j = 0; j < G; ++j) Loops::axpy(scores[j * cap + r], row, acc + j * hd, hd);
  }
  // Normalized at the end, as the reference does.
  for (int64_t j = 0; j < G; ++j) {
    const float inv = 1.0f / sums[j];
    for (int64_t i = 0; i < hd; ++i) acc[j * hd + i] *= inv;
  }
}

void attention_task_portable(const AttentionTask& a, float* slot, int64_t t, int64_t g) {
  attention_task<PortableLoops>(a, slot, t, g, [](const f16_bits* src, float* dst, int64_t n) {
    for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(src[i]);
  });
}

#if TL_CPU_X86
struct Avx512Loops {
  TL_TARGET_AVX512 static inline float dot(const float* a, const float* b, int64_t n) {
    int64_t i = 0;
    __m512 acc = _mm512_setzero_ps();
    for (; i + 16 <= n; i += 16)
      acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc);
    float sum = _mm512_reduce_add_ps(acc);
    for (; i < n; ++i) sum += a[i] * b[i];
    return sum;
  }
  TL_TARGET_AVX512 static inline void axpy(float w, const float* b, float* acc, int64_t n) {
    int64_t i = 0;
    const __m512 wv = _mm512_set1_ps(w);
    for (; i + 16 <= n; i += 16)
      _mm512_storeu_ps(acc + i,
                       _mm512_fmadd_ps(wv, _mm512_loadu_ps(b + i), _mm512_loadu_ps(acc + i)));
    for (; i < n; ++i) acc[i] += w * b[i];
  }
  TL_TARGET_AVX512 static inline void convert(const f16_bits* src, float* dst, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
      _mm512_storeu_ps(
          dst + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i))));
    for (; i < n; ++i) dst[i] = f16_to_f32(src[i]);
  }
};

// lane i of the result = the sum of v[i]'s 16 lanes: 16 horizontal sums in 15 shuffle-and-add
// steps (pairs of 128-bit lanes, then lanes within them), where 16 separate ones take 64.
TL_TARGET_AVX512 inline __m512 hsum16(const float* v) {
  __m512 t[4];
  for (int e = 0; e < 4; ++e) {  // t[e], 128-bit lane k: 4 partial sums of v[4k + e]
    const __m512 a = _mm512_loadu_ps(v + 16 * e), b = _mm512_loadu_ps(v + 16 * (4 + e));
    const __m512 c = _mm512_loadu_ps(v + 16 * (8 + e)), d = _mm512_loadu_ps(v + 16 * (12 + e));
    const __m512 ab =
        _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
    const __m512 cd =
        _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xEE));
    t[e] = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xDD));
  }
  const __m512 u01 =
      _mm512_add_ps(_mm512_shuffle_ps(t[0], t[1], 0x44), _mm512_shuffle_ps(t[0], t[1], 0xEE));
  const __m512 u23 =
      _mm512_add_ps(_mm512_shuffle_ps(t[2], t[3], 0x44), _mm512_shuffle_ps(t[2], t[3], 0xEE));
  return _mm512_add_ps(_mm512_shuffle_ps(u01, u23, 0x88), _mm512_shuffle_ps(u01, u23, 0xDD));
}

// e^x for 16 lanes: exp_f32's steps (elementwise.cpp), lane by lane.
TL_TARGET_AVX512 inline __m512 exp16(__m512 x) {
  const __m512 xc = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-104.0f)), _mm512_set1_ps(89.0f));
  const __m512 shifter = _mm512_set1_ps(12582912.0f);
  const __m512 n =
      _mm512_sub_ps(_mm512_fmadd_ps(xc, _mm512_set1_ps(1.44269504088896341f), shifter), shifter);
  const __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f),
                                    _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), xc));
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  for (const float c :
       {1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f})
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
  p = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
  const __m512i ni = _mm512_cvtps_epi32(n), ha = _mm512_srai_epi32(ni, 1),
                hb = _mm512_sub_epi32(ni, ha), bias = _mm512_set1_epi32(127);
  const __m512 y = _mm512_mul_ps(
      _mm512_mul_ps(p, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(ha, bias), 23))),
      _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(hb, bias), 23)));
  const __mmask16 big = _mm512_cmp_ps_mask(x, _mm512_set1_ps(89.0f), _CMP_GT_OQ);
  const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  return _mm512_mask_blend_ps(
      nan, _mm512_mask_blend_ps(big, y, _mm512_set1_ps(std::numeric_limits<float>::infinity())), x);
}

// acc[j][c0 * 16 ...] for J heads from j0 and C chunks of 16 from c0: sum over the rows r < n of
// scores[j][r] * v_r, the J x C accumulators in registers for all the rows.
template <int J, int C>
TL_TARGET_AVX512 void weighted_values(const AttentionTask& a, int64_t g, int64_t n,
                                      const float* scores, int64_t cap, int64_t j0, int64_t c0,
                                      float* acc) {
  const int64_t hd = a.d.hd, stride = a.d.Hkv * hd;
  __m512 s[J][C];
  for (auto& row : s)
    for (auto& x : row) x = _mm512_setzero_ps();
  const f16_bits* vr = a.v + g * hd + c0 * 16;
  const float* w = scores + j0 * cap;
  for (int64_t r = 0; r < n; ++r, vr += stride) {
    __m512 x[C];
    for (int c = 0; c < C; ++c)
      x[c] = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(vr + 16 * c)));
    for (int j = 0; j < J; ++j) {
      const __m512 wj = _mm512_set1_ps(w[j * cap + r]);
      for (int c = 0; c < C; ++c) s[j][c] = _mm512_fmadd_ps(wj, x[c], s[j][c]);
    }
  }
  for (int j = 0; j < J; ++j)
    for (int c = 0; c < C; ++c) _mm512_storeu_ps(acc + (j0 + j) * hd + (c0 + c) * 16, s[j][c]);
}

// The AVX-512 task for head dims that are multiples of 16 (up to 256): the template's arithmetic
// in another order. Scores: each key row, converted once, gives a vector of 16 partial dot
// products per query head; 16 rows' vectors are summed across lanes together (hsum16). Softmax:
// 16 lanes at a time (exp16). Values: up to 8 heads x 2 chunks of 16 accumulate in registers over
// all the rows (weighted_values), so the accumulators are not loaded and stored for every row.
TL_TARGET_AVX512 void attention_task_avx512_blocked(const AttentionTask& a, float* slot, int64_t t,
                                                    int64_t g) {
  const AttentionDims& d = a.d;
  const int64_t G = d.group(), hd = d.hd, chunks = hd / 16, n = a.start + t + 1,
                cap = a.start + d.T;
  float* scores = slot;          // [G, cap]
  float* qf = scores + G * cap;  // [G, hd]
  float* acc = qf + G * hd;      // [G, hd]
  float* row = acc + G * hd;     // [hd]
  float* sums = row + hd;        // [G]
  float* partial = sums + G;     // [G, 16, 16]
  for (int64_t j = 0; j < G; ++j)
    Avx512Loops::convert(a.q + (t * d.H + g * G + j) * hd, qf + j * hd, hd);
  const __m512 scale = _mm512_set1_ps(a.scale);
  int64_t r0 = 0;
  for (; r0 + 16 <= n; r0 += 16) {
    for (int64_t rr = 0; rr < 16; ++rr) {
      const f16_bits* kr = a.k + ((r0 + rr) * d.Hkv + g) * hd;
      __m512 kc[16];
      for (int64_t c = 0; c < chunks; ++c)
        kc[c] = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(kr + 16 * c)));
      for (int64_t j = 0; j < G; ++j) {
        const float* qj = qf + j * hd;
        __m512 p = _mm512_mul_ps(kc[0], _mm512_loadu_ps(qj));
        for (int64_t c = 1; c < chunks; ++c)
          p = _mm512_fmadd_ps(kc[c], _mm512_loadu_ps(qj + 16 * c), p);
        _mm512_storeu_ps(partial + (j * 16 + rr) * 16, p);
      }
    }
    for (int64_t j = 0; j < G; ++j)
      _mm512_storeu_ps(scores + j * cap + r0, _mm512_mul_ps(hsum16(partial + j * 256), scale));
  }
  for (; r0 < n; ++r0) {
    Avx512Loops::convert(a.k + (r0 * d.Hkv + g) * hd, row, hd);
    for (int64_t j = 0; j < G; ++j)
      scores[j * cap + r0] = Avx512Loops::dot(qf + j * hd, row, hd) * a.scale;
  }
  for (int64_t j = 0; j < G; ++j) {
    float* s = scores + j * cap;
    __m512 mv = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    int64_t r = 0;
    for (; r + 16 <= n; r += 16) mv = _mm512_max_ps(mv, _mm512_loadu_ps(s + r));
    float m = _mm512_reduce_max_ps(mv);
    for (; r < n; ++r) m = std::max(m, s[r]);
    const __m512 mm = _mm512_set1_ps(m);
    __m512 sv = _mm512_setzero_ps();
    for (r = 0; r + 16 <= n; r += 16) {
      const __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(s + r), mm));
      _mm512_storeu_ps(s + r, e);
      sv = _mm512_add_ps(sv, e);
    }
    if (r < n) {
      const __mmask16 k = static_cast<__mmask16>((1u << (n - r)) - 1);
      const __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, s + r), mm));
      _mm512_mask_storeu_ps(s + r, k, e);
      sv = _mm512_add_ps(sv, _mm512_maskz_mov_ps(k, e));
    }
    sums[j] = _mm512_reduce_add_ps(sv);
  }
  for (int64_t j0 = 0; j0 < G;) {
    const int64_t J = G - j0 >= 8 ? 8 : G - j0 >= 4 ? 4 : G - j0 >= 2 ? 2 : 1;
    for (int64_t c0 = 0; c0 < chunks;) {
      const int64_t C = chunks - c0 >= (J == 8 ? 2 : 4) ? (J == 8 ? 2 : 4) : 1;
      if (J == 8)
        C == 2 ? weighted_values<8, 2>(a, g, n, scores, cap, j0, c0, acc)
               : weighted_values<8, 1>(a, g, n, scores, cap, j0, c0, acc);
      else if (J == 4)
        C == 4 ? weighted_values<4, 4>(a, g, n, scores, cap, j0, c0, acc)
               : weighted_values<4, 1>(a, g, n, scores, cap, j0, c0, acc);
      else if (J == 2)
        C == 4 ? weighted_values<2, 4>(a, g, n, scores, cap, j0, c0, acc)
               : weighted_values<2, 1>(a, g, n, scores, cap, j0, c0, acc);
      else
        C == 4 ? weighted_values<1, 4>(a, g, n, scores, cap, j0, c0, acc)
               : weighted_values<1, 1>(a, g, n, scores, cap, j0, c0, acc);
      c0 += C;
    }
    j0 += J;
  }
  for (int64_t j = 0; j < G; ++j) {
    const __m512 inv = _mm512_set1_ps(1.0f / sums[j]);
    for (int64_t c = 0; c < chunks; ++c)
      _mm512_storeu_ps(acc + j * hd + 16 * c,
                       _mm512_mul_ps(_mm512_loadu_ps(acc + j * hd + 16 * c), inv));
  }
}

TL_TARGET_AVX512 void attention_task_avx512(const AttentionTask& a, float* slot, int64_t t,
                                            int64_t g) {
  if (a.d.hd % 16 == 0 && a.d.hd <= 256) return attention_task_avx512_blocked(a, slot, t, g);
  attention_task<Avx512Loops>(a, slot, t, g,
                              [](const f16_bits* src, float* dst, int64_t n)
                                  TL_TARGET_AVX512 { Avx512Loops::convert(src, dst, n); });
}

struct Avx2Loops {
  TL_TARGET_AVX2 static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  TL_TARGET_AVX2 static inline float dot(const float* a, const float* b, int64_t n) {
    int64_t i = 0;
    __m256 acc = _mm256_setzero_ps();
    for (; i + 8 <= n; i += 8)
      acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
    float sum = hsum(acc);
    for (; i < n; ++i) sum += a[i] * b[i];
    return sum;
  }
  TL_TARGET_AVX2 static inline void axpy(float w, const float* b, float* acc, int64_t n) {
    int64_t i = 0;
    const __m256 wv = _mm256_set1_ps(w);
    for (; i + 8 <= n; i += 8)
      _mm256_storeu_ps(acc + i,
                       _mm256_fmadd_ps(wv, _mm256_loadu_ps(b + i), _mm256_loadu_ps(acc + i)));
    for (; i < n; ++i) acc[i] += w * b[i];
  }
  TL_TARGET_AVX2 static inline void convert(const f16_bits* src, float* dst, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      _mm256_storeu_ps(dst + i,
                       _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
    for (; i < n; ++i) dst[i] = f16_to_f32(src[i]);
  }
};

TL_TARGET_AVX2 void attention_task_avx2(const AttentionTask& a, float* slot, int64_t t, int64_t g) {
  attention_task<Avx2Loops>(a, slot, t, g,
                            [](const f16_bits* src, float* dst, int64_t n)
                                TL_TARGET_AVX2 { Avx2Loops::convert(src, dst, n); });
}
#endif

using AttentionTaskFn = void (*)(const AttentionTask&, float*, int64_t, int64_t);

AttentionTaskFn attention_task_for(Isa isa) {
#if TL_CPU_X86
  if (isa == Isa::Avx512) return attention_task_avx512;
  if (isa == Isa::Avx2) return attention_task_avx2;
#endif
  (void)isa;
  return attention_task_portable;
}

}  // namespace

size_t attention_scratch_floats(const Ctx& ctx, const AttentionDims& d, int64_t start) {
  const int64_t slots = ctx.fast && ctx.pool ? ctx.pool->size() : 1;
  return static_cast<size_t>(slots * attention_slot_floats(d, start));
}

void attention(const Ctx& ctx, const f16_bits* q, const f16_bits* k, const f16_bits* v, f16_bits* y,
               const AttentionDims& d, int64_t start, float scale, std::span<float> scratch) {
  if (!ctx.fast) {
    for (int64_t t = 0; t < d.T; ++t)
      for (int64_t h = 0; h < d.H; ++h) attention_ref_one(q, k, v, y, d, start, scale, t, h);
    return;
  }
  // Tasks are dealt round-robin to `slots` workers, each with its own slot of scratch.
  const int64_t tasks = d.T * d.Hkv;
  const int64_t pool_slots = ctx.pool ? ctx.pool->size() : 1;
  const int64_t slots = std::max<int64_t>(1, std::min(pool_slots, tasks));
  const int64_t slot_floats = attention_slot_floats(d, start), G = d.group(), hd = d.hd;
  const AttentionTask task{q, k, v, y, d, start, scale};
  const AttentionTaskFn run = attention_task_for(ctx.isa);
  parallel(ctx, slots, [&](int64_t w) {
    float* slot = scratch.data() + w * slot_floats;
    const float* acc = slot + G * (start + d.T) + G * hd;
    for (int64_t i = w; i < tasks; i += slots) {
      const int64_t t = i / d.Hkv, g = i % d.Hkv;
      run(task, slot, t, g);
      f32_to_f16_row(acc, y + (t * d.H + g * G) * hd, G * hd);
    }
  });
}

}  // namespace tl::cpu
