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

// One Q8_0 weight row against one activation row (decoding), 16 blocks at a time: the 16 block
// scales in one gather (each block starts with its f16 scale), times the activation's 16 block
// scales, then per pair of blocks one VPDPBUSD, one permute of the two scales into their lanes
// and one FMA. The scale work of the loop above (two scalar conversions and a broadcast per
// pair) would cost more than the dot product.
TL_TARGET_AVX512VNNI float dot_row_q8_0_vnni512(const std::byte* w, int64_t nb, const int8_t* xq,
                                                const float* xd) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  const __m512i offsets =
      _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm512_set1_epi32(static_cast<int>(kQ8Bytes)));
  int64_t b = 0;
  for (; b + 16 <= nb; b += 16) {
    const std::byte* blk = w + b * kQ8Bytes;
    const __m512i raw = _mm512_i32gather_epi32(offsets, blk, 1);
    const __m512 s =
        _mm512_mul_ps(_mm512_cvtph_ps(_mm512_cvtepi32_epi16(raw)), _mm512_loadu_ps(xd + b));
    for (int p = 0; p < 8; ++p) {
      const std::byte* pb = blk + 2 * p * kQ8Bytes;
      const __m512i wq = _mm512_inserti64x4(
          _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(pb + 2))),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(pb + kQ8Bytes + 2)), 1);
      const __m512i x = _mm512_loadu_si512(xq + (b + 2 * p) * kQK);
      const __m512i xs =
          _mm512_mask_sub_epi8(x, _mm512_movepi8_mask(wq), _mm512_setzero_si512(), x);
      const __m512i isum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_abs_epi8(wq), xs);
      // Lanes 0..7 <- the scale of block 2p, lanes 8..15 <- of block 2p + 1.
      const __m512 sp = _mm512_permutexvar_ps(
          _mm512_inserti64x4(_mm512_set1_epi32(2 * p), _mm256_set1_epi32(2 * p + 1), 1), s);
      if (p & 1)
        acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), sp, acc1);
      else
        acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), sp, acc0);
    }
  }
  float tail = 0.0f;
  for (; b < nb; ++b)
    tail += static_cast<float>(block_dot_ref(DType::Q8_0, w + b * kQ8Bytes, xq + b * kQK, 0)) *
            (block_scale(w + b * kQ8Bytes) * xd[b]);
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) + tail;
}

// ---- AVX2 (VPMADDUBSW+VPMADDWD) and AVX-VNNI: one block per ymm --------------------------------

TL_TARGET_AVX2 inline __m256i mul_sum_avx2(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}
TL_TARGET_AVXVNNI inline __m256i mul_sum_avxvnni(__m256i u, __m256i s) {
  return _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), u, s);
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
  for (int r = 0; r < R; ++r) out[r] = hsum_avx2(acc[r]);

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
//
// The panel interleaves 4 weight rows per zmm: for each block b and group g of 4 rows, 256 bytes:
//   lo[64]   row 4g+j's values 0..15 of block b in bytes 16j..16j+15 (signed: Q4_0's nibble - 8)
//   hi[64]   their values 16..31
//   corr[16] int32: -128 times the sum of the 8 weights that int32 lane j meets in lo and hi
//   wd[16]   f32: row 4g + j/4's scale of block b in lane j
// An activation block enters as x + 128 (unsigned), its 16-byte halves broadcast to the 4 lanes
// groups: VPDPBUSD(corr, xlo, lo) then (xhi, hi) leaves in lanes 4j..4j+3 the exact int32 dot
// product of row 4g+j's block with x, in four parts. One conversion, one scale product and one
// FMA then serve 4 weight rows x 32 values.

constexpr int64_t kGroupBytes = 256;

// 16 values of a block as signed bytes: Q8_0 as stored; Q4_0's nibbles (low for values 0..15,
// high for 16..31) minus 8.
TL_TARGET_AVX512VNNI inline __m128i block_half(DType type, const std::byte* blk, int half) {
  if (type == DType::Q8_0)
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2 + 16 * half));
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
  const __m128i nib = _mm_and_si128(half ? _mm_srli_epi16(q, 4) : q, _mm_set1_epi8(15));
  return _mm_sub_epi8(nib, _mm_set1_epi8(8));
}

TL_TARGET_AVX512VNNI void pack_panel_vnni512(DType type, const std::byte* w, int64_t row_bytes,
                                             int64_t rows, int64_t nb, std::byte* out) {
  const int64_t groups = (rows + 3) / 4, bb = type == DType::Q8_0 ? kQ8Bytes : kQ4Bytes;
  const int64_t padded = 4 * groups;
  // Row by row, so that each weight row streams from memory in order (the prefetchers follow
  // one sequential stream at a time; 16 interleaved short ones mostly miss): the values into their
  // 16-byte slots, the scales into their f32 lanes. Padding rows are zero.
  for (int64_t c = 0; c < padded; ++c) {
    const int64_t g = c / 4, j = c % 4;
    for (int64_t b = 0; b < nb; ++b) {
      std::byte* dst = out + (b * groups + g) * kGroupBytes;
      float* wd = reinterpret_cast<float*>(dst + 192) + 4 * j;
      if (c < rows) {
        const std::byte* blk = w + c * row_bytes + b * bb;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 16 * j), block_half(type, blk, 0));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 64 + 16 * j), block_half(type, blk, 1));
        _mm_storeu_ps(wd, _mm_set1_ps(block_scale(blk)));
      } else {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 16 * j), _mm_setzero_si128());
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 64 + 16 * j), _mm_setzero_si128());
        _mm_storeu_ps(wd, _mm_setzero_ps());
      }
    }
  }
  // Then, in cache, -128 times each lane's weight sum.
  const __m512i u128 = _mm512_set1_epi8(static_cast<char>(0x80));
  for (int64_t i = 0; i < nb * groups; ++i) {
    std::byte* dst = out + i * kGroupBytes;
    const __m512i lo = _mm512_loadu_si512(dst), hi = _mm512_loadu_si512(dst + 64);
    const __m512i sums =
        _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), u128, lo), u128, hi);
    _mm512_storeu_si512(dst + 128, _mm512_sub_epi32(_mm512_setzero_si512(), sums));
  }
}

// A tile of R activation rows x groups g0..g0+G-1 (4G weight rows): out[r * ldo + 4g + j].
template <int R, int G>
TL_TARGET_AVX512VNNI void tile_vnni512(const std::byte* panel, int64_t groups, int64_t g0,
                                       int64_t nb, const Q8Activations& a, int64_t m0, float* out,
                                       int64_t ldo) {
  __m512 acc[R][G];
  for (int r = 0; r < R; ++r)
    for (int g = 0; g < G; ++g) acc[r][g] = _mm512_setzero_ps();
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  for (int64_t b = 0; b < nb; ++b) {
    __m512i xlo[R], xhi[R];
    __m512 xd[R];
    for (int r = 0; r < R; ++r) {
      const int8_t* x = a.row_q(m0 + r) + b * kQK;
      xlo[r] = _mm512_xor_si512(
          _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x))), flip);
      xhi[r] = _mm512_xor_si512(
          _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + 16))), flip);
      xd[r] = _mm512_set1_ps(a.row_d(m0 + r)[b]);
    }
    const std::byte* src = panel + (b * groups + g0) * kGroupBytes;
    for (int g = 0; g < G; ++g, src += kGroupBytes) {
      const __m512i lo = _mm512_loadu_si512(src), hi = _mm512_loadu_si512(src + 64);
      const __m512i corr = _mm512_loadu_si512(src + 128);
      const __m512 wd = _mm512_loadu_ps(reinterpret_cast<const float*>(src + 192));
      for (int r = 0; r < R; ++r) {
        const __m512i isum = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(corr, xlo[r], lo), xhi[r], hi);
        acc[r][g] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(wd, xd[r]), acc[r][g]);
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int g = 0; g < G; ++g) {
      alignas(64) float lanes[16];
      _mm512_store_ps(lanes, acc[r][g]);
      for (int j = 0; j < 4; ++j)
        out[r * ldo + 4 * g + j] =
            (lanes[4 * j] + lanes[4 * j + 1]) + (lanes[4 * j + 2] + lanes[4 * j + 3]);
    }
}

// R activation rows against every group of the panel.
template <int R>
TL_TARGET_AVX512VNNI void tile_rows_vnni512(const std::byte* panel, int64_t groups, int64_t nb,
                                            const Q8Activations& a, int64_t m0, float* out,
                                            int64_t ldo) {
  int64_t g = 0;
  for (; g + 4 <= groups; g += 4) tile_vnni512<R, 4>(panel, groups, g, nb, a, m0, out + 4 * g, ldo);
  switch (groups - g) {
    case 3:
      tile_vnni512<R, 3>(panel, groups, g, nb, a, m0, out + 4 * g, ldo);
      break;
    case 2:
      tile_vnni512<R, 2>(panel, groups, g, nb, a, m0, out + 4 * g, ldo);
      break;
    case 1:
      tile_vnni512<R, 1>(panel, groups, g, nb, a, m0, out + 4 * g, ldo);
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
                         int64_t num_blocks) {
  rows = num_rows;
  blocks = num_blocks;
  data.resize(static_cast<size_t>(blocks * ((rows + 3) / 4) * kGroupBytes));
#ifdef TL_CPU_X86
  pack_panel_vnni512(type, w, row_bytes, rows, blocks, data.data());
#else
  (void)type, (void)w, (void)row_bytes;
#endif
}

void q8_tile_dots(const Q8WeightPanel& w, const Q8Activations& a, int64_t m0, int64_t mc,
                  float* out, int64_t ldo) {
#ifdef TL_CPU_X86
  // The panel's rows are padded to whole groups of 4: results go to a buffer of that width.
  const int64_t groups = (w.rows + 3) / 4, width = 4 * groups;
  std::vector<float> buf(static_cast<size_t>(4 * width));
  for (int64_t r = 0; r < mc; r += 4) {
    const int64_t n = std::min<int64_t>(4, mc - r);
    switch (n) {
      case 4:
        tile_rows_vnni512<4>(w.data.data(), groups, w.blocks, a, m0 + r, buf.data(), width);
        break;
      case 3:
        tile_rows_vnni512<3>(w.data.data(), groups, w.blocks, a, m0 + r, buf.data(), width);
        break;
      case 2:
        tile_rows_vnni512<2>(w.data.data(), groups, w.blocks, a, m0 + r, buf.data(), width);
        break;
      default:
        tile_rows_vnni512<1>(w.data.data(), groups, w.blocks, a, m0 + r, buf.data(), width);
        break;
    }
    for (int64_t i = 0; i < n; ++i)
      std::copy_n(buf.data() + i * width, w.rows, out + (r + i) * ldo);
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
#ifdef TL_CPU_X86
// The same from f16, 16 lanes at a time: x·id in f32 and round-to-nearest-even (the default
// rounding of VCVTPS2DQ, as nearbyint), so the blocks are bit for bit those of quantize_row.
TL_TARGET_AVX512 void quantize_row_f16_avx512(const f16_bits* xr, int64_t blocks, int8_t* q,
                                              float* d, float* d8, int32_t* sum) {
  const __m512 sign = _mm512_set1_ps(-0.0f);
  for (int64_t b = 0; b < blocks; ++b) {
    const __m512 x0 =
        _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xr + b * kQK)));
    const __m512 x1 =
        _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xr + b * kQK + 16)));
    const float amax =
        _mm512_reduce_max_ps(_mm512_max_ps(_mm512_andnot_ps(sign, x0), _mm512_andnot_ps(sign, x1)));
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    const float dd = f16_to_f32(f32_to_f16(amax / 127.0f));
    const __m512 idv = _mm512_set1_ps(id);
    const __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(x0, idv));
    const __m512i q1 = _mm512_cvtps_epi32(_mm512_mul_ps(x1, idv));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + b * kQK), _mm512_cvtepi32_epi8(q0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + b * kQK + 16), _mm512_cvtepi32_epi8(q1));
    d[b] = dd;
    _mm256_storeu_ps(d8 + b * 8, _mm256_set1_ps(dd));
    sum[b] = _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
  }
}
#endif
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
#ifdef TL_CPU_X86
    if (ctx.fast && ctx.isa == Isa::Avx512)
      return quantize_row_f16_avx512(x + r * ldx, blocks, q.data() + r * blocks * kQK,
                                     d.data() + r * blocks, d8.data() + r * blocks * 8,
                                     sum.data() + r * blocks);
#endif
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
        if (step == 1 && nr == 1 && type == DType::Q8_0) {
          *o = dot_row_q8_0_vnni512(w, nb, a.row_q(r), a.row_d(r));
          break;
        }
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
