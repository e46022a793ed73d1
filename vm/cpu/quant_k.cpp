// Products with Q4_K/Q6_K weights the way ggml's CPU backend computes them
// (ggml_vec_dot_q4_K_q8_K, ggml_vec_dot_q6_K_q8_K): each activation row is quantized to Q8_K
// super-blocks of 256 (kernels.h has the formula), each sub-block's integer dot product with the
// weight's quants is scaled by the sub-block's integer scale, all in int32 and exact; the
// super-block's total is then scaled by d_w·d_x in f32 (Q4_K also subtracts dmin_w·d_x times
// sum(m_j · the activations' sums over sub-block j), exact from Q8_K's bsums).
//
// The integer steps, per tier (all exact; only the f32 sums differ in order):
//   AVX512-VNNI: VPDPBUSD of 64 unsigned weight quants (Q4_K nibbles 0..15, Q6_K's 6 bits 0..63)
//     with 64 signed activations; each int32 lane holds 4 products (|.| <= 63·128·4 < 2^15), so
//     VPMADDWD with the sub-block's scale in the lane's low 16 bits (high 16 zero) multiplies it
//     by its scale in one instruction. Q6_K's -32 offset is 32·sum_j sc_j·bsum_j, one VPMADDWD.
//   AVX2: VPMADDUBSW (pairs, |.| <= 2·63·128, no saturation) then VPMADDWD with the scale.
// AVX-VNNI machines take the AVX2 form (the 16-bit scaling step dominates either way).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "vm/cpu/convert.h"
#include "vm/cpu/kernels.h"

#include "vm/cpu/simd.h"

namespace tl::cpu {

namespace {

constexpr int64_t kQ6KBytes = 210;

inline float f16_at(const std::byte* p) {
  f16_bits h;
  std::memcpy(&h, p, 2);
  return f16_to_f32(h);
}

#ifdef TL_CPU_X86
// The same 16 bytes in a register: built from the four words, not stored and reloaded (a 16-byte
// load of four 4-byte stores cannot be forwarded and waits for them to reach the cache).
inline __m128i q4k_scales_mins_vec(const std::byte* packed) {
  const std::array<uint32_t, 4> w = q4k_scales_mins_words(packed);
  return _mm_setr_epi32(static_cast<int>(w[0]), static_cast<int>(w[1]), static_cast<int>(w[2]),
                        static_cast<int>(w[3]));
}

// A super-block's f16 scale pair (Q4_K's d and dmin) by the F16C instruction, exact as f16_at.
TL_TARGET_AVX2 inline void f16_pair_at(const std::byte* p, float& first, float& second) {
  uint32_t both;
  std::memcpy(&both, p, 4);
  const __m128 v = _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(both)));
  first = _mm_cvtss_f32(v);
  second = _mm_cvtss_f32(_mm_shuffle_ps(v, v, 1));
}
#endif

// ---- portable ---------------------------------------------------------------------------------

// Q4_K value i of a super-block (0..15): qs[32c + l] holds value 64c + l in its low nibble and
// 64c + 32 + l in its high one.
inline int q4k_quant(const uint8_t* qs, int i) {
  const int c = i / 64, l = i % 32;
  return (i % 64) < 32 ? qs[32 * c + l] & 15 : qs[32 * c + l] >> 4;
}

// Q6_K value i (0..63, offset 32 not removed): within each half of 128, quarter t = r / 32 takes
// ql[64h + 32(t & 1) + l]'s low (t < 2) or high nibble and qh[32h + l]'s bits 2t, 2t+1 above it.
inline int q6k_quant(const uint8_t* ql, const uint8_t* qh, int i) {
  const int h = i / 128, t = (i % 128) / 32, l = i % 32;
  const uint8_t lo = ql[64 * h + 32 * (t & 1) + l];
  return (t < 2 ? lo & 15 : lo >> 4) | (((qh[32 * h + l] >> (2 * t)) & 3) << 4);
}

float dot_row_q4k_ref(const std::byte* w, int64_t nb, const Q8KActivations& a, int64_t r) {
  float acc = 0.0f;
  for (int64_t b = 0; b < nb; ++b) {
    const std::byte* blk = w + b * kQ4KBytes;
    const auto* qs = reinterpret_cast<const uint8_t*>(blk + 16);
    const int8_t* x = a.row_q(r) + b * kQKK;
    const int16_t* bs = a.row_bsums(r) + b * 16;
    uint8_t sm[16];
    q4k_scales_mins(blk + 4, sm);
    int32_t sumi = 0, summ = 0;
    for (int j = 0; j < 8; ++j) {
      int32_t dj = 0;
      for (int l = 0; l < 32; ++l) dj += q4k_quant(qs, 32 * j + l) * x[32 * j + l];
      sumi += sm[j] * dj;
      summ += sm[8 + j] * (bs[2 * j] + bs[2 * j + 1]);
    }
    const float xd = a.row_d(r)[b];
    acc += f16_at(blk) * xd * static_cast<float>(sumi) -
           f16_at(blk + 2) * xd * static_cast<float>(summ);
  }
  return acc;
}

float dot_row_q6k_ref(const std::byte* w, int64_t nb, const Q8KActivations& a, int64_t r) {
  float acc = 0.0f;
  for (int64_t b = 0; b < nb; ++b) {
    const std::byte* blk = w + b * kQ6KBytes;
    const auto* ql = reinterpret_cast<const uint8_t*>(blk);
    const auto* qh = reinterpret_cast<const uint8_t*>(blk + 128);
    const auto* sc = reinterpret_cast<const int8_t*>(blk + 192);
    const int8_t* x = a.row_q(r) + b * kQKK;
    int32_t sumi = 0;
    for (int j = 0; j < 16; ++j) {
      int32_t dj = 0;
      for (int l = 0; l < 16; ++l) dj += (q6k_quant(ql, qh, 16 * j + l) - 32) * x[16 * j + l];
      sumi += sc[j] * dj;
    }
    acc += f16_at(blk + 208) * a.row_d(r)[b] * static_cast<float>(sumi);
  }
  return acc;
}

void dot_rows_portable(DType type, const std::byte* w, int64_t nb, const Q8KActivations& a,
                       int64_t r0, int64_t nr, float* out) {
  for (int64_t r = 0; r < nr; ++r)
    out[r] =
        type == DType::Q4_K ? dot_row_q4k_ref(w, nb, a, r0 + r) : dot_row_q6k_ref(w, nb, a, r0 + r);
}

#ifdef TL_CPU_X86
// ---- AVX512-VNNI: 64 values per VPDPBUSD, up to 4 activation rows per weight load ---------------

template <int R>
TL_TARGET_AVX512VNNI void dot_rows_q4k_vnni512(const std::byte* w, int64_t nb,
                                               const Q8KActivations& a, int64_t r0, float* out) {
  __m512 acc[R];
  __m256 accm[R];
  for (int r = 0; r < R; ++r) {
    acc[r] = _mm512_setzero_ps();
    accm[r] = _mm256_setzero_ps();
  }
  const __m256i low4 = _mm256_set1_epi8(15);
  // Lanes 0..7 <- scale 2c, lanes 8..15 <- scale 2c + 1: a chunk of 64 values is 2 sub-blocks.
  __m512i pick[4];
  for (int c = 0; c < 4; ++c)
    pick[c] = _mm512_inserti64x4(_mm512_set1_epi32(2 * c), _mm256_set1_epi32(2 * c + 1), 1);
  for (int64_t b = 0; b < nb; ++b) {
    const std::byte* blk = w + b * kQ4KBytes;
    const __m128i smv = q4k_scales_mins_vec(blk + 4);
    const __m512i sc32 = _mm512_cvtepu8_epi32(smv);  // scale j in lane j's low 16 bits
    const __m128i mins = _mm_srli_si128(smv, 8);
    // min j for bsums 2j and 2j + 1
    const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mins, mins));
    __m512i nib[4], sc[4];
    for (int c = 0; c < 4; ++c) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 16 + 32 * c));
      nib[c] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(q, low4)),
                                  _mm256_and_si256(_mm256_srli_epi16(q, 4), low4), 1);
      sc[c] = _mm512_permutexvar_epi32(pick[c], sc32);
    }
    float dw, dmw;
    f16_pair_at(blk, dw, dmw);
    for (int r = 0; r < R; ++r) {
      const int8_t* x = a.row_q(r0 + r) + b * kQKK;
      __m512i isum = _mm512_setzero_si512();
      for (int c = 0; c < 4; ++c) {
        const __m512i p =
            _mm512_dpbusd_epi32(_mm512_setzero_si512(), nib[c], _mm512_loadu_si512(x + 64 * c));
        isum = _mm512_add_epi32(isum, _mm512_madd_epi16(p, sc[c]));
      }
      const float xd = a.row_d(r0 + r)[b];
      acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(dw * xd), acc[r]);
      const __m256i bs =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.row_bsums(r0 + r) + b * 16));
      accm[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(bs, mins16)),
                                _mm256_set1_ps(dmw * xd), accm[r]);
    }
  }
  for (int r = 0; r < R; ++r) out[r] = _mm512_reduce_add_ps(acc[r]) - hsum_avx2(accm[r]);
}

template <int R>
TL_TARGET_AVX512VNNI void dot_rows_q6k_vnni512(const std::byte* w, int64_t nb,
                                               const Q8KActivations& a, int64_t r0, float* out) {
  __m512 acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  const __m512i low4 = _mm512_set1_epi8(15), bits45 = _mm512_set1_epi8(0x30);
  // qh (32 bytes) sits in both halves of a zmm; a 16-bit shift per half brings the two bits of
  // each value to bits 4-5: values 0..31 take bits 0-1 (<< 4), 32..63 bits 2-3 (<< 2), 64..95
  // bits 4-5 (as they are), 96..127 bits 6-7 (>> 2).
  const __m512i shl = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
  const __m512i shr = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
  // Lanes 4i..4i+3 <- scale 4c + i: a chunk of 64 values is 4 sub-blocks of 16.
  __m512i pick[4];
  for (int c = 0; c < 4; ++c)
    pick[c] = _mm512_add_epi32(_mm512_set1_epi32(4 * c),
                               _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3));
  for (int64_t b = 0; b < nb; ++b) {
    const std::byte* blk = w + b * kQ6KBytes;
    const __m256i sc16 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 192)));
    const __m512i sc32 = _mm512_cvtepu16_epi32(sc16);  // signed scale in the low 16 bits
    __m512i v[4], sc[4];
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = _mm512_loadu_si512(blk + 64 * h);
      const __m512i qh = _mm512_broadcast_i64x4(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 128 + 32 * h)));
      // Values 128h + 0..63: ql's low nibbles, qh's bits 0-1 (values 0..31), 2-3 (32..63).
      v[2 * h] = _mm512_or_si512(_mm512_and_si512(ql, low4),
                                 _mm512_and_si512(_mm512_sllv_epi16(qh, shl), bits45));
      // Values 128h + 64..127: the high nibbles, qh's bits 4-5 and 6-7.
      v[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                     _mm512_and_si512(_mm512_srlv_epi16(qh, shr), bits45));
    }
    for (int c = 0; c < 4; ++c) sc[c] = _mm512_permutexvar_epi32(pick[c], sc32);
    const float dw = f16_at(blk + 208);
    for (int r = 0; r < R; ++r) {
      const int8_t* x = a.row_q(r0 + r) + b * kQKK;
      __m512i isum = _mm512_setzero_si512();
      for (int c = 0; c < 4; ++c) {
        const __m512i p =
            _mm512_dpbusd_epi32(_mm512_setzero_si512(), v[c], _mm512_loadu_si512(x + 64 * c));
        isum = _mm512_add_epi32(isum, _mm512_madd_epi16(p, sc[c]));
      }
      // The quants' offset 32: 32 · sum_j sc_j · bsum_j.
      const __m256i bs =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.row_bsums(r0 + r) + b * 16));
      const __m256i off = _mm256_slli_epi32(_mm256_madd_epi16(bs, sc16), 5);
      isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(off));
      acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(dw * a.row_d(r0 + r)[b]),
                               acc[r]);
    }
  }
  for (int r = 0; r < R; ++r) out[r] = _mm512_reduce_add_ps(acc[r]);
}

// ---- AVX2: VPMADDUBSW + VPMADDWD, 32 values per step --------------------------------------------

template <int R>
TL_TARGET_AVX2 void dot_rows_q4k_avx2(const std::byte* w, int64_t nb, const Q8KActivations& a,
                                      int64_t r0, float* out) {
  __m256 acc[R], accm[R];
  for (int r = 0; r < R; ++r) acc[r] = accm[r] = _mm256_setzero_ps();
  const __m256i low4 = _mm256_set1_epi8(15);
  for (int64_t b = 0; b < nb; ++b) {
    const std::byte* blk = w + b * kQ4KBytes;
    alignas(16) uint8_t sm[16];
    q4k_scales_mins(blk + 4, sm);
    const __m128i mins = _mm_srli_si128(_mm_load_si128(reinterpret_cast<const __m128i*>(sm)), 8);
    const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mins, mins));
    __m256i isum[R];
    for (int r = 0; r < R; ++r) isum[r] = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 16 + 32 * c));
      const __m256i lo = _mm256_and_si256(q, low4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
      const __m256i s_lo = _mm256_set1_epi16(sm[2 * c]), s_hi = _mm256_set1_epi16(sm[2 * c + 1]);
      for (int r = 0; r < R; ++r) {
        const int8_t* x = a.row_q(r0 + r) + b * kQKK + 64 * c;
        const __m256i p_lo = _mm256_madd_epi16(
            _mm256_maddubs_epi16(lo, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x))),
            s_lo);
        const __m256i p_hi = _mm256_madd_epi16(
            _mm256_maddubs_epi16(hi, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32))),
            s_hi);
        isum[r] = _mm256_add_epi32(isum[r], _mm256_add_epi32(p_lo, p_hi));
      }
    }
    const float dw = f16_at(blk), dmw = f16_at(blk + 2);
    for (int r = 0; r < R; ++r) {
      const float xd = a.row_d(r0 + r)[b];
      acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[r]), _mm256_set1_ps(dw * xd), acc[r]);
      const __m256i bs =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.row_bsums(r0 + r) + b * 16));
      accm[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(bs, mins16)),
                                _mm256_set1_ps(dmw * xd), accm[r]);
    }
  }
  for (int r = 0; r < R; ++r) out[r] = hsum_avx2(acc[r]) - hsum_avx2(accm[r]);
}

template <int R>
TL_TARGET_AVX2 void dot_rows_q6k_avx2(const std::byte* w, int64_t nb, const Q8KActivations& a,
                                      int64_t r0, float* out) {
  __m256 acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
  const __m256i low4 = _mm256_set1_epi8(15), bits45 = _mm256_set1_epi8(0x30);
  for (int64_t b = 0; b < nb; ++b) {
    const std::byte* blk = w + b * kQ6KBytes;
    const auto* scales = reinterpret_cast<const int8_t*>(blk + 192);
    const __m256i sc16 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales)));
    __m256i isum[R];
    for (int r = 0; r < R; ++r) isum[r] = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const std::byte* ql = blk + 64 * h;
      const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
      const __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 128 + 32 * h));
      // Quarter t (values 128h + 32t..): its low 4 bits, then qh's bits 2t, 2t+1 at bits 4-5.
      const __m256i v[4] = {_mm256_or_si256(_mm256_and_si256(l0, low4),
                                            _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45)),
                            _mm256_or_si256(_mm256_and_si256(l1, low4),
                                            _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45)),
                            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low4),
                                            _mm256_and_si256(qh, bits45)),
                            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low4),
                                            _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45))};
      for (int t = 0; t < 4; ++t) {
        const int j = 8 * h + 2 * t;  // the quarter's two sub-blocks of 16: j, j + 1
        const __m256i s =
            _mm256_inserti128_si256(_mm256_set1_epi16(scales[j]), _mm_set1_epi16(scales[j + 1]), 1);
        for (int r = 0; r < R; ++r) {
          const int8_t* x = a.row_q(r0 + r) + b * kQKK + 128 * h + 32 * t;
          const __m256i p =
              _mm256_maddubs_epi16(v[t], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)));
          isum[r] = _mm256_add_epi32(isum[r], _mm256_madd_epi16(p, s));
        }
      }
    }
    const float dw = f16_at(blk + 208);
    for (int r = 0; r < R; ++r) {
      const __m256i bs =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.row_bsums(r0 + r) + b * 16));
      const __m256i off = _mm256_slli_epi32(_mm256_madd_epi16(bs, sc16), 5);
      acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(isum[r], off)),
                               _mm256_set1_ps(dw * a.row_d(r0 + r)[b]), acc[r]);
    }
  }
  for (int r = 0; r < R; ++r) out[r] = hsum_avx2(acc[r]);
}
#endif

enum class Q8KKernel { Portable, Avx2, Vnni512 };
// AVX512-VNNI at the avx512 tier when the CPU has it (`vnni` false: tests cover the AVX2 form).
Q8KKernel q8k_kernel(Isa isa, bool vnni) {
  if (isa == Isa::Portable) return Q8KKernel::Portable;
  if (vnni && isa == Isa::Avx512 && host_cpu().avx512_vnni) return Q8KKernel::Vnni512;
  return Q8KKernel::Avx2;
}

#ifdef TL_CPU_X86
// R activation rows against one weight row on a SIMD kernel.
template <int R>
void dot_rows_simd(Q8KKernel kind, DType type, const std::byte* w, int64_t nb,
                   const Q8KActivations& a, int64_t r0, float* out) {
  const bool q4 = type == DType::Q4_K;
  if (kind == Q8KKernel::Vnni512)
    return q4 ? dot_rows_q4k_vnni512<R>(w, nb, a, r0, out)
              : dot_rows_q6k_vnni512<R>(w, nb, a, r0, out);
  return q4 ? dot_rows_q4k_avx2<R>(w, nb, a, r0, out) : dot_rows_q6k_avx2<R>(w, nb, a, r0, out);
}
#endif

// ggml's nearest_int: round to nearest even through the f32 adder (|v| < 2^22), without libm.
inline int nearest_int(float v) {
  const float biased = v + 12582912.0f;
  int32_t i;
  std::memcpy(&i, &biased, 4);
  return (i & 0x007fffff) - 0x00400000;
}

// One super-block of 256 values into Q8_K (the formula in kernels.h).
void quantize_super_block(const float* x, int8_t* q, float* d, int16_t* bsums) {
  float amax = 0.0f, max = 0.0f;
  bool nan = false;
  for (int j = 0; j < kQKK; ++j) {
    const float ax = std::fabs(x[j]);
    nan |= std::isnan(x[j]);
    if (ax > amax) {
      amax = ax;
      max = x[j];
    }
  }
  if (amax == 0.0f || nan || std::isinf(amax)) {
    // Zeros give d = 0 (as ggml); a NaN or an infinity makes the super-block's products NaN.
    std::fill_n(q, kQKK, int8_t{0});
    std::fill_n(bsums, 16, int16_t{0});
    *d = amax == 0.0f && !nan ? 0.0f : std::numeric_limits<float>::quiet_NaN();
    return;
  }
  const float iscale = -127.0f / max;
  for (int j = 0; j < kQKK; ++j)
    q[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * x[j])));
  for (int g = 0; g < 16; ++g) {
    int s = 0;
    for (int l = 0; l < 16; ++l) s += q[16 * g + l];
    bsums[g] = static_cast<int16_t>(s);
  }
  *d = 1.0f / iscale;
}
}  // namespace

const char* q8k_kernel_name(Isa isa) {
  switch (q8k_kernel(isa, true)) {
    case Q8KKernel::Vnni512:
      return "avx512_vnni (vpdpbusd + vpmaddwd zmm)";
    case Q8KKernel::Avx2:
      return "avx2 (vpmaddubsw + vpmaddwd ymm)";
    default:
      return "portable";
  }
}

void Q8KActivations::resize(int64_t num_rows, int64_t k) {
  rows = num_rows;
  blocks = k / kQKK;
  q.resize(static_cast<size_t>(rows * blocks * kQKK));
  d.resize(static_cast<size_t>(rows * blocks));
  bsums.resize(static_cast<size_t>(rows * blocks * 16));
}

void Q8KActivations::quantize(const float* x, int64_t num_rows, int64_t k, int64_t ldx) {
  resize(num_rows, k);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t b = 0; b < blocks; ++b)
      quantize_super_block(x + r * ldx + b * kQKK, q.data() + (r * blocks + b) * kQKK,
                           d.data() + r * blocks + b, bsums.data() + (r * blocks + b) * 16);
}

void Q8KActivations::quantize_f16(const Ctx& ctx, const f16_bits* x, int64_t num_rows, int64_t k,
                                  int64_t ldx) {
  resize(num_rows, k);
  const Ctx run = rows * k >= (1 << 16) ? ctx : Ctx{nullptr, ctx.fast, ctx.isa, ctx.vnni};
  parallel(run, rows, [&](int64_t r) {
    float xb[kQKK];
    for (int64_t b = 0; b < blocks; ++b) {
      if (ctx.fast)
        f16_to_f32_row(x + r * ldx + b * kQKK, xb, kQKK);
      else
        f16_to_f32_row_ref(x + r * ldx + b * kQKK, xb, kQKK);
      quantize_super_block(xb, q.data() + (r * blocks + b) * kQKK, d.data() + r * blocks + b,
                           bsums.data() + (r * blocks + b) * 16);
    }
  });
}

void dot_rows_q8k(const Ctx& ctx, DType type, const std::byte* w, const Q8KActivations& a,
                  int64_t r0, int64_t nr, float* out) {
  const int64_t nb = a.blocks;
  if (!ctx.fast) return dot_rows_portable(type, w, nb, a, r0, nr, out);
#ifdef TL_CPU_X86
  const Q8KKernel kind = q8k_kernel(ctx.isa, ctx.vnni);
  if (kind == Q8KKernel::Portable) return dot_rows_portable(type, w, nb, a, r0, nr, out);
  for (int64_t r = r0; r < r0 + nr;) {
    const int64_t left = r0 + nr - r;
    float* o = out + (r - r0);
    if (left >= 4) {
      dot_rows_simd<4>(kind, type, w, nb, a, r, o);
      r += 4;
    } else if (left >= 2) {
      dot_rows_simd<2>(kind, type, w, nb, a, r, o);
      r += 2;
    } else {
      dot_rows_simd<1>(kind, type, w, nb, a, r, o);
      r += 1;
    }
  }
#else
  dot_rows_portable(type, w, nb, a, r0, nr, out);
#endif
}

}  // namespace tl::cpu
