// Products with Q8_0/Q4_0 weights the way ggml's CPU backend computes them: each activation row is
// quantized to Q8_0 blocks (32 values, scale d = max|x|/127 stored as f16, q = x·127/max|x|
// rounded to nearest even, as ggml's x86 quantize_row_q8_0), each block pair is dotted in int32
// exactly, and the block results are scaled by d_w·d_x and summed in f32. Integer dot products
// run on VPDPBUSD (AVX512-VNNI on zmm, AVX-VNNI on ymm) or VPMADDUBSW+VPMADDWD (AVX2), chosen at
// run time (cpu_features.h); the reference is the scalar form of the same arithmetic.
//
// VPDPBUSD multiplies unsigned by signed bytes. Q8_0: |w| (as unsigned, so -128 stays exact)
// times x carrying w's sign (x is in [-127, 127], so negating it is exact). Q4_0: the nibble
// 0..15 times x, minus 8·sum(x) per block (sum precomputed at quantization).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "vm/cpu/convert.h"
#include "vm/cpu/kernels.h"

#include "vm/cpu/simd.h"

namespace tl::cpu {

namespace {

// ---- portable ---------------------------------------------------------------------------------

int32_t block_dot_ref(DType type, const std::byte* blk, const int8_t* x, int32_t xsum) {
  int32_t s = 0;
  if (type == DType::Q8_0) {
    const auto* w = reinterpret_cast<const int8_t*>(blk + 2);
    for (int j = 0; j < kQK; ++j) s += int32_t{w[j]} * x[j];
  } else {
    const auto* qs = reinterpret_cast<const uint8_t*>(blk + 2);
    for (int j = 0; j < kQK / 2; ++j) s += (qs[j] & 15) * x[j] + (qs[j] >> 4) * x[j + 16];
    s -= 8 * xsum;
  }
  return s;
}

void dot_rows_portable(DType type, const std::byte* w, int64_t nb, const Q8Activations& a,
                       int64_t r0, int64_t nr, float* out) {
  const int64_t bb = type == DType::Q8_0 ? kQ8Bytes : kQ4Bytes;
  for (int64_t r = 0; r < nr; ++r) {
    const int8_t* x = a.row_q(r0 + r);
    const float* d = a.row_d(r0 + r);
    const int32_t* s = a.row_sum(r0 + r);
    float acc = 0.0f;
    for (int64_t b = 0; b < nb; ++b) {
      const std::byte* blk = w + b * bb;
      acc += static_cast<float>(block_dot_ref(type, blk, x + b * kQK, s[b])) *
             (block_scale(blk) * d[b]);
    }
    out[r] = acc;
  }
}

#ifdef TL_CPU_X86
// ---- AVX512-VNNI: two blocks per zmm, up to 4 activation rows per weight load -----------------

template <int R>
TL_TARGET_AVX512VNNI void dot_rows_vnni512(DType type, const std::byte* w, int64_t nb,
                                           const Q8Activations& a, int64_t r0, float* out) {
  __m512 acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  const int8_t* xq[R];
  const float* xd8[R];
  const int32_t* xs[R];
  for (int r = 0; r < R; ++r) {
    xq[r] = a.row_q(r0 + r);
    xd8[r] = a.row_d8(r0 + r);
    xs[r] = a.row_sum(r0 + r);
  }
  const __m512i low4 = _mm512_set1_epi8(15);
  int64_t b = 0;
  if (type == DType::Q8_0) {
    for (; b + 2 <= nb; b += 2) {
      const std::byte* blk = w + b * kQ8Bytes;
      const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));
      const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 36));
      const __m512i wq = _mm512_inserti64x4(_mm512_castsi256_si512(w0), w1, 1);
      const __m512i wabs = _mm512_abs_epi8(wq);
      const __mmask64 neg = _mm512_movepi8_mask(wq);
      f16_bits h0, h1;
      std::memcpy(&h0, blk, 2);
      std::memcpy(&h1, blk + 34, 2);
      const __m512 wd =
          _mm512_insertf32x8(_mm512_set1_ps(_cvtsh_ss(h0)), _mm256_set1_ps(_cvtsh_ss(h1)), 1);
      for (int r = 0; r < R; ++r) {
        const __m512i x = _mm512_loadu_si512(xq[r] + b * kQK);
        const __m512i xs_signed = _mm512_mask_sub_epi8(x, neg, _mm512_setzero_si512(), x);
        const __m512i isum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), wabs, xs_signed);
        const __m512 scale = _mm512_mul_ps(wd, _mm512_loadu_ps(xd8[r] + b * 8));
        acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), scale, acc[r]);
      }
    }
  } else {
    for (; b + 2 <= nb; b += 2) {
      const std::byte* blk = w + b * kQ4Bytes;
      const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
      const __m128i q1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 20));
      const __m512i packed = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set_m128i(q1, q0)),
                                                _mm256_srli_epi16(_mm256_set_m128i(q1, q0), 4), 1);
      // [lo0 lo1 hi0 hi1] -> [lo0 hi0 lo1 hi1]: each block's 32 values in element order.
      const __m512i nib =
          _mm512_and_si512(_mm512_shuffle_i64x2(packed, packed, _MM_SHUFFLE(3, 1, 2, 0)), low4);
      f16_bits h0, h1;
      std::memcpy(&h0, blk, 2);
      std::memcpy(&h1, blk + 18, 2);
      const __m512 wd =
          _mm512_insertf32x8(_mm512_set1_ps(_cvtsh_ss(h0)), _mm256_set1_ps(_cvtsh_ss(h1)), 1);
      for (int r = 0; r < R; ++r) {
        const __m512i x = _mm512_loadu_si512(xq[r] + b * kQK);
        // -8·sum(x) of each block enters its first lane, exactly, before the conversion.
        const __m512i corr = _mm512_mask_set1_epi32(_mm512_maskz_set1_epi32(0x0001, -8 * xs[r][b]),
                                                    0x0100, -8 * xs[r][b + 1]);
        const __m512i isum = _mm512_dpbusd_epi32(corr, nib, x);
        const __m512 scale = _mm512_mul_ps(wd, _mm512_loadu_ps(xd8[r] + b * 8));
        acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), scale, acc[r]);
      }
    }
  }
  const int64_t bb = type == DType::Q8_0 ? kQ8Bytes : kQ4Bytes;
  for (int r = 0; r < R; ++r) {
    float tail = 0.0f;
    for (int64_t t = b; t < nb; ++t)
      tail += static_cast<float>(block_dot_ref(type, w + t * bb, xq[r] + t * kQK, xs[r][t])) *
              (block_scale(w + t * bb) * a.row_d(r0 + r)[t]);
    out[r] = _mm512_reduce_add_ps(acc[r]) + tail;
  }
}

// ---- AVX2 (VPMADDUBSW+VPMADDWD) and AVX-VNNI: one block per ymm --------------------------------

TL_TARGET_AVX2 inline __m256i mul_sum_avx2(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}
TL_TARGET_AVXVNNI inline __m256i mul_sum_avxvnni(__m256i u, __m256i s) {
  return _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), u, s);
}
TL_TARGET_AVX2 inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// The body shared by both ymm kernels; MUL_SUM is the u8·s8 -> i32 step.
#define TL_DOT_ROWS_YMM(MUL_SUM)                                                                  \
  __m256 acc[R];                                                                                  \
  for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();                                       \
  const __m256i low4 = _mm256_set1_epi8(15);                                                      \
  for (int64_t b = 0; b < nb; ++b) {                                                              \
    __m256i u;                                                                                    \
    __m256i sign = _mm256_setzero_si256();                                                        \
    f16_bits h;                                                                                   \
    if (type == DType::Q8_0) {                                                                    \
      const std::byte* blk = w + b * kQ8Bytes;                                                    \
      sign = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));                       \
      u = _mm256_abs_epi8(sign);                                                                  \
      std::memcpy(&h, blk, 2);                                                                    \
    } else {                                                                                      \
      const std::byte* blk = w + b * kQ4Bytes;                                                    \
      const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));               \
      u = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), low4);                      \
      std::memcpy(&h, blk, 2);                                                                    \
    }                                                                                             \
    const float wd = _cvtsh_ss(h);                                                                \
    for (int r = 0; r < R; ++r) {                                                                 \
      const __m256i x =                                                                           \
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.row_q(r0 + r) + b * kQK));        \
      __m256i isum;                                                                               \
      if (type == DType::Q8_0) {                                                                  \
        isum = MUL_SUM(u, _mm256_sign_epi8(x, sign));                                             \
      } else {                                                                                    \
        isum = _mm256_add_epi32(                                                                  \
            MUL_SUM(u, x), _mm256_setr_epi32(-8 * a.row_sum(r0 + r)[b], 0, 0, 0, 0, 0, 0, 0));    \
      }                                                                                           \
      acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(wd * a.row_d(r0 + r)[b]), \
                               acc[r]);                                                           \
    }                                                                                             \
  }                                                                                               \
  for (int r = 0; r < R; ++r) out[r] = hsum8(acc[r]);

template <int R>
TL_TARGET_AVX2 void dot_rows_avx2(DType type, const std::byte* w, int64_t nb,
                                  const Q8Activations& a, int64_t r0, float* out) {
  TL_DOT_ROWS_YMM(mul_sum_avx2)
}
template <int R>
TL_TARGET_AVXVNNI void dot_rows_avxvnni(DType type, const std::byte* w, int64_t nb,
                                        const Q8Activations& a, int64_t r0, float* out) {
  TL_DOT_ROWS_YMM(mul_sum_avxvnni)
}
#undef TL_DOT_ROWS_YMM

#endif

#ifdef TL_CPU_X86
// ---- AVX512-VNNI tiles over a repacked weight panel ---------------------------------------------

constexpr int64_t kPairBytes = 192;  // 64 weight bytes, 16 int32 sums, 16 f32 scales

// One pair of blocks (64 weights) of a Q8_0 or Q4_0 row as signed bytes (Q4_0: nibble - 8), in
// element order, and each block's scale in its 8 lanes.
TL_TARGET_AVX512VNNI inline void load_pair(DType type, const std::byte* row, int64_t b, int64_t nb,
                                           __m512i* wq, __m512* wd) {
  const bool both = b + 1 < nb;
  f16_bits h0, h1 = 0;
  if (type == DType::Q8_0) {
    const std::byte* blk = row + b * kQ8Bytes;
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));
    const __m256i w1 = both ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 36))
                            : _mm256_setzero_si256();
    *wq = _mm512_inserti64x4(_mm512_castsi256_si512(w0), w1, 1);
    std::memcpy(&h0, blk, 2);
    if (both) std::memcpy(&h1, blk + 34, 2);
  } else {
    const std::byte* blk = row + b * kQ4Bytes;
    const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
    const __m128i q1 =
        both ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 20)) : _mm_set1_epi8(0x08);
    const __m512i packed = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set_m128i(q1, q0)),
                                              _mm256_srli_epi16(_mm256_set_m128i(q1, q0), 4), 1);
    const __m512i nib = _mm512_and_si512(
        _mm512_shuffle_i64x2(packed, packed, _MM_SHUFFLE(3, 1, 2, 0)), _mm512_set1_epi8(15));
    *wq = _mm512_sub_epi8(nib, _mm512_set1_epi8(8));  // a missing second block: nibbles 8 -> 0
    std::memcpy(&h0, blk, 2);
    if (both) std::memcpy(&h1, blk + 18, 2);
  }
  *wd = _mm512_insertf32x8(_mm512_set1_ps(_cvtsh_ss(h0)),
                           _mm256_set1_ps(both ? _cvtsh_ss(h1) : 0.0f), 1);
}

TL_TARGET_AVX512VNNI void pack_panel_vnni512(DType type, const std::byte* w, int64_t row_bytes,
                                             int64_t rows, int64_t nb, std::byte* out) {
  const int64_t pairs = (nb + 1) / 2;
  const __m512i u128 = _mm512_set1_epi8(static_cast<char>(0x80));
  for (int64_t c = 0; c < rows; ++c)
    for (int64_t p = 0; p < pairs; ++p) {
      __m512i wq;
      __m512 wd;
      load_pair(type, w + c * row_bytes, 2 * p, nb, &wq, &wd);
      std::byte* dst = out + (c * pairs + p) * kPairBytes;
      _mm512_storeu_si512(dst, wq);
      // -128 * (sum of each lane's 4 weights): dpbusd(x + 128, w) + this = dot(x, w), exactly.
      const __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u128, wq);
      _mm512_storeu_si512(dst + 64, _mm512_sub_epi32(_mm512_setzero_si512(), sums));
      _mm512_storeu_ps(dst + 128, wd);
    }
}

// A tile of R activation rows x C weight rows: acc[r][c] over every pair of blocks.
template <int R, int C>
TL_TARGET_AVX512VNNI void tile_vnni512(const std::byte* panel, int64_t pairs, int64_t nb,
                                       const Q8Activations& a, int64_t m0, float* out,
                                       int64_t ldo) {
  __m512 acc[R][C];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const int8_t* xq[R];
  const float* xd[R];
  for (int r = 0; r < R; ++r) {
    xq[r] = a.row_q(m0 + r);
    xd[r] = a.row_d8(m0 + r);
  }
  for (int64_t p = 0; p < pairs; ++p) {
    // The second block of the last pair may not exist: masked loads read nothing past the row.
    const bool both = 2 * p + 1 < nb;
    const __mmask64 kq = both ? ~__mmask64{0} : __mmask64{0xFFFFFFFF};
    const __mmask16 kd = both ? __mmask16{0xFFFF} : __mmask16{0x00FF};
    __m512i wq[C], ws[C];
    __m512 wd[C];
    for (int c = 0; c < C; ++c) {
      const std::byte* src = panel + (c * pairs + p) * kPairBytes;
      wq[c] = _mm512_loadu_si512(src);
      ws[c] = _mm512_loadu_si512(src + 64);
      wd[c] = _mm512_loadu_ps(reinterpret_cast<const float*>(src + 128));
    }
    for (int r = 0; r < R; ++r) {
      const __m512i xu = _mm512_xor_si512(_mm512_maskz_loadu_epi8(kq, xq[r] + p * 64), flip);
      const __m512 d = _mm512_maskz_loadu_ps(kd, xd[r] + p * 16);
      for (int c = 0; c < C; ++c) {
        const __m512i isum = _mm512_dpbusd_epi32(ws[c], xu, wq[c]);
        acc[r][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(wd[c], d), acc[r][c]);
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) out[r * ldo + c] = _mm512_reduce_add_ps(acc[r][c]);
}

template <int R>
TL_TARGET_AVX512VNNI void tile_rows_vnni512(const std::byte* panel, int64_t pairs, int64_t nb,
                                            int64_t cols, const Q8Activations& a, int64_t m0,
                                            float* out, int64_t ldo) {
  int64_t c = 0;
  for (; c + 4 <= cols; c += 4)
    tile_vnni512<R, 4>(panel + c * pairs * kPairBytes, pairs, nb, a, m0, out + c, ldo);
  const std::byte* rest = panel + c * pairs * kPairBytes;
  switch (cols - c) {
    case 3:
      tile_vnni512<R, 3>(rest, pairs, nb, a, m0, out + c, ldo);
      break;
    case 2:
      tile_vnni512<R, 2>(rest, pairs, nb, a, m0, out + c, ldo);
      break;
    case 1:
      tile_vnni512<R, 1>(rest, pairs, nb, a, m0, out + c, ldo);
      break;
    default:
      break;
  }
}
#endif

enum class Q8Kernel { Portable, Avx2, AvxVnni, Vnni512 };
// VNNI where the tier and the CPU have it: AVX512-VNNI on zmm at the avx512 tier, else AVX-VNNI
// on ymm; `vnni` false keeps AVX2's byte multiply-adds (tests use it to cover that form).
Q8Kernel q8_kernel(Isa isa, bool vnni) {
  const CpuFeatures& f = host_cpu();
  if (isa == Isa::Portable) return Q8Kernel::Portable;
  if (vnni && isa == Isa::Avx512 && f.avx512_vnni) return Q8Kernel::Vnni512;
  if (vnni && f.avx_vnni) return Q8Kernel::AvxVnni;
  return Q8Kernel::Avx2;
}
}  // namespace

const char* q8_kernel_name(Isa isa) {
  switch (q8_kernel(isa, true)) {
    case Q8Kernel::Vnni512:
      return "avx512_vnni (vpdpbusd zmm)";
    case Q8Kernel::AvxVnni:
      return "avx_vnni (vpdpbusd ymm)";
    case Q8Kernel::Avx2:
      return "avx2 (vpmaddubsw ymm)";
    default:
      return "portable";
  }
}

bool has_q8_tiles(const Ctx& ctx) {
  return ctx.fast && q8_kernel(ctx.isa, ctx.vnni) == Q8Kernel::Vnni512;
}

void Q8WeightPanel::pack(DType type, const std::byte* w, int64_t row_bytes, int64_t num_rows,
                         int64_t blocks) {
  rows = num_rows;
  pairs = (blocks + 1) / 2;
  data.resize(static_cast<size_t>(rows * pairs * kPairBytes));
#ifdef TL_CPU_X86
  pack_panel_vnni512(type, w, row_bytes, rows, blocks, data.data());
#else
  (void)type, (void)w, (void)row_bytes;
#endif
}

void q8_tile_dots(const Q8WeightPanel& w, const Q8Activations& a, int64_t m0, int64_t mc,
                  float* out, int64_t ldo) {
#ifdef TL_CPU_X86
  const std::byte* panel = w.data.data();
  int64_t r = 0;
  for (; r + 4 <= mc; r += 4)
    tile_rows_vnni512<4>(panel, w.pairs, a.blocks, w.rows, a, m0 + r, out + r * ldo, ldo);
  switch (mc - r) {
    case 3:
      tile_rows_vnni512<3>(panel, w.pairs, a.blocks, w.rows, a, m0 + r, out + r * ldo, ldo);
      break;
    case 2:
      tile_rows_vnni512<2>(panel, w.pairs, a.blocks, w.rows, a, m0 + r, out + r * ldo, ldo);
      break;
    case 1:
      tile_rows_vnni512<1>(panel, w.pairs, a.blocks, w.rows, a, m0 + r, out + r * ldo, ldo);
      break;
    default:
      break;
  }
#else
  (void)w, (void)a, (void)m0, (void)mc, (void)out, (void)ldo;
#endif
}

namespace {
// One row of K values into its Q8_0 blocks (the formula in kernels.h).
void quantize_row(const float* xr, int64_t blocks, int8_t* q, float* d, float* d8, int32_t* sum) {
  for (int64_t b = 0; b < blocks; ++b) {
    const float* xb = xr + b * kQK;
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(xb[j]));
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    const float dd = f16_to_f32(f32_to_f16(amax / 127.0f));
    int8_t* qb = q + b * kQK;
    int32_t s = 0;
    for (int j = 0; j < kQK; ++j) {
      qb[j] = static_cast<int8_t>(std::nearbyint(xb[j] * id));
      s += qb[j];
    }
    d[b] = dd;
    std::fill_n(d8 + b * 8, 8, dd);
    sum[b] = s;
  }
}
}  // namespace

void Q8Activations::resize(int64_t num_rows, int64_t k) {
  rows = num_rows;
  blocks = k / kQK;
  q.resize(static_cast<size_t>(rows * blocks * kQK));
  d.resize(static_cast<size_t>(rows * blocks));
  d8.resize(static_cast<size_t>(rows * blocks * 8));
  sum.resize(static_cast<size_t>(rows * blocks));
}

void Q8Activations::quantize(const float* x, int64_t num_rows, int64_t k, int64_t ldx) {
  resize(num_rows, k);
  for (int64_t r = 0; r < rows; ++r)
    quantize_row(x + r * ldx, blocks, q.data() + r * blocks * kQK, d.data() + r * blocks,
                 d8.data() + r * blocks * 8, sum.data() + r * blocks);
}

void Q8Activations::quantize_f16(const Ctx& ctx, const f16_bits* x, int64_t num_rows, int64_t k,
                                 int64_t ldx) {
  resize(num_rows, k);
  const Ctx run = rows * k >= (1 << 16) ? ctx : Ctx{nullptr, ctx.fast, ctx.isa, ctx.vnni};
  parallel(run, rows, [&](int64_t r) {
    std::vector<float> xr(static_cast<size_t>(k));
    if (ctx.fast)
      f16_to_f32_row(x + r * ldx, xr.data(), k);
    else
      f16_to_f32_row_ref(x + r * ldx, xr.data(), k);
    quantize_row(xr.data(), blocks, q.data() + r * blocks * kQK, d.data() + r * blocks,
                 d8.data() + r * blocks * 8, sum.data() + r * blocks);
  });
}

void dot_rows_q8(const Ctx& ctx, DType type, const std::byte* w, const Q8Activations& a, int64_t r0,
                 int64_t nr, float* out) {
  const int64_t nb = a.blocks;
  if (!ctx.fast) return dot_rows_portable(type, w, nb, a, r0, nr, out);
#ifdef TL_CPU_X86
  const Q8Kernel kind = q8_kernel(ctx.isa, ctx.vnni);
  for (int64_t r = r0; r < r0 + nr;) {
    const int64_t left = r0 + nr - r;
    const int step = left >= 4 ? 4 : left >= 2 ? 2 : 1;
    float* o = out + (r - r0);
    switch (kind) {
      case Q8Kernel::Vnni512:
        if (step == 4) dot_rows_vnni512<4>(type, w, nb, a, r, o);
        if (step == 2) dot_rows_vnni512<2>(type, w, nb, a, r, o);
        if (step == 1) dot_rows_vnni512<1>(type, w, nb, a, r, o);
        break;
      case Q8Kernel::AvxVnni:
        if (step == 4) dot_rows_avxvnni<4>(type, w, nb, a, r, o);
        if (step == 2) dot_rows_avxvnni<2>(type, w, nb, a, r, o);
        if (step == 1) dot_rows_avxvnni<1>(type, w, nb, a, r, o);
        break;
      case Q8Kernel::Avx2:
        if (step == 4) dot_rows_avx2<4>(type, w, nb, a, r, o);
        if (step == 2) dot_rows_avx2<2>(type, w, nb, a, r, o);
        if (step == 1) dot_rows_avx2<1>(type, w, nb, a, r, o);
        break;
      case Q8Kernel::Portable:
        dot_rows_portable(type, w, nb, a, r, step, o);
        break;
    }
    r += step;
  }
#else
  dot_rows_portable(type, w, nb, a, r0, nr, out);
#endif
}

}  // namespace tl::cpu
