#include "vm/cpu/convert.h"

#include "vm/cpu/simd.h"

namespace tl::cpu {

void f16_to_f32_row_ref(const f16_bits* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}

void f32_to_f16_row_ref(const float* src, f16_bits* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}

#ifdef TL_CPU_X86
// vcvtph2ps/vcvtps2ph round exactly as half.h except for NaNs: the hardware sets the quiet bit
// (and keeps the f32 payload on narrowing) where half.h keeps the f16 payload as is and narrows
// every NaN to sign|0x7e00. Those lanes are patched so that the one source of truth holds.
TL_TARGET_AVX512 static inline __m512 cvt16(__m256i h) {
  const __m512i h32 = _mm512_cvtepu16_epi32(h);
  __m512 f = _mm512_cvtph_ps(h);
  const __m512i abs = _mm512_and_si512(h32, _mm512_set1_epi32(0x7fff));
  const __mmask16 nan = _mm512_cmpgt_epi32_mask(abs, _mm512_set1_epi32(0x7c00));
  if (nan) {
    const __m512i sign = _mm512_slli_epi32(_mm512_and_si512(h32, _mm512_set1_epi32(0x8000)), 16);
    const __m512i mant = _mm512_slli_epi32(_mm512_and_si512(h32, _mm512_set1_epi32(0x3ff)), 13);
    const __m512i bits =
        _mm512_or_si512(_mm512_or_si512(sign, mant), _mm512_set1_epi32(0x7f800000));
    f = _mm512_mask_mov_ps(f, nan, _mm512_castsi512_ps(bits));
  }
  return f;
}

TL_TARGET_AVX512 static inline __m256i cvt32(__m512 f) {
  __m256i h = _mm512_cvtps_ph(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512i bits = _mm512_castps_si512(f);
  const __m512i abs = _mm512_and_si512(bits, _mm512_set1_epi32(0x7fffffff));
  const __mmask16 nan = _mm512_cmpgt_epi32_mask(abs, _mm512_set1_epi32(0x7f800000));
  if (nan) {
    const __m512i sign = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(0x8000));
    const __m256i quiet = _mm512_cvtepi32_epi16(_mm512_or_si512(sign, _mm512_set1_epi32(0x7e00)));
    h = _mm256_mask_mov_epi16(h, nan, quiet);
  }
  return h;
}

TL_TARGET_AVX512 static void f16_to_f32_avx512(const f16_bits* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(dst + i, cvt16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i))));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(dst + i, m, cvt16(_mm256_maskz_loadu_epi16(m, src + i)));
  }
}

TL_TARGET_AVX512 static void f32_to_f16_avx512(const float* src, f16_bits* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), cvt32(_mm512_loadu_ps(src + i)));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm256_mask_storeu_epi16(dst + i, m, cvt32(_mm512_maskz_loadu_ps(m, src + i)));
  }
}

// The same on 8 lanes with F16C (AVX2 machines); the tail goes through half.h.
TL_TARGET_AVX2 static void f16_to_f32_avx2(const f16_bits* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    __m256 f = _mm256_cvtph_ps(h);
    const __m256i h32 = _mm256_cvtepu16_epi32(h);
    const __m256i abs = _mm256_and_si256(h32, _mm256_set1_epi32(0x7fff));
    const __m256i nan = _mm256_cmpgt_epi32(abs, _mm256_set1_epi32(0x7c00));
    if (!_mm256_testz_si256(nan, nan)) {
      const __m256i sign = _mm256_slli_epi32(_mm256_and_si256(h32, _mm256_set1_epi32(0x8000)), 16);
      const __m256i mant = _mm256_slli_epi32(_mm256_and_si256(h32, _mm256_set1_epi32(0x3ff)), 13);
      const __m256i bits =
          _mm256_or_si256(_mm256_or_si256(sign, mant), _mm256_set1_epi32(0x7f800000));
      f = _mm256_blendv_ps(f, _mm256_castsi256_ps(bits), _mm256_castsi256_ps(nan));
    }
    _mm256_storeu_ps(dst + i, f);
  }
  f16_to_f32_row_ref(src + i, dst + i, n - i);
}

TL_TARGET_AVX2 static void f32_to_f16_avx2(const float* src, f16_bits* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 f = _mm256_loadu_ps(src + i);
    __m128i h = _mm256_cvtps_ph(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256i bits = _mm256_castps_si256(f);
    const __m256i abs = _mm256_and_si256(bits, _mm256_set1_epi32(0x7fffffff));
    const __m256i nan = _mm256_cmpgt_epi32(abs, _mm256_set1_epi32(0x7f800000));
    if (!_mm256_testz_si256(nan, nan)) {
      const __m256i sign = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(0x8000));
      const __m256i quiet = _mm256_or_si256(sign, _mm256_set1_epi32(0x7e00));
      const __m128i q16 =
          _mm_packus_epi32(_mm256_castsi256_si128(quiet), _mm256_extracti128_si256(quiet, 1));
      const __m128i m16 =
          _mm_packs_epi32(_mm256_castsi256_si128(nan), _mm256_extracti128_si256(nan, 1));
      h = _mm_blendv_epi8(h, q16, m16);
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
  f32_to_f16_row_ref(src + i, dst + i, n - i);
}
#endif

void f16_to_f32_row(const f16_bits* src, float* dst, int64_t n) {
  f16_to_f32_row_isa(host_kernels().isa, src, dst, n);
}

void f16_to_f32_row_isa(Isa isa, const f16_bits* src, float* dst, int64_t n) {
#ifdef TL_CPU_X86
  switch (isa) {
    case Isa::Avx512:
      return f16_to_f32_avx512(src, dst, n);
    case Isa::Avx2:
      return f16_to_f32_avx2(src, dst, n);
    case Isa::Portable:
      break;
  }
#endif
  f16_to_f32_row_ref(src, dst, n);
}

void f32_to_f16_row(const float* src, f16_bits* dst, int64_t n) {
  f32_to_f16_row_isa(host_kernels().isa, src, dst, n);
}

void f32_to_f16_row_isa(Isa isa, const float* src, f16_bits* dst, int64_t n) {
#ifdef TL_CPU_X86
  switch (isa) {
    case Isa::Avx512:
      return f32_to_f16_avx512(src, dst, n);
    case Isa::Avx2:
      return f32_to_f16_avx2(src, dst, n);
    case Isa::Portable:
      break;
  }
#endif
  f32_to_f16_row_ref(src, dst, n);
}

}  // namespace tl::cpu
