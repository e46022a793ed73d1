// ggml block formats on the CPU: dequantization and fused dot products.
//
// Layouts (ggml-quants.h, QK = 32 elements per block):
//   Q8_0: { f16 d; int8 qs[32]; }            x[j] = qs[j] * d
//   Q4_0: { f16 d; uint8 qs[16]; }           x[j] = ((qs[j] & 15) - 8) * d,
//                                            x[j + 16] = ((qs[j] >> 4) - 8) * d
// fused_dot keeps the activations in f32 (dequantizing in registers); linear() instead quantizes
// them to Q8_0 as ggml does and takes int8 dot products (quant_q8.cpp).
#include <cstring>

#include <fmt/format.h>

#include "vm/core/error.h"
#include "vm/cpu/kernels.h"
#ifdef TL_CPU_HAVE_DEQUANT
#include "vm/model/dequant.h"
#endif

#include "vm/cpu/simd.h"

namespace tl::cpu {

namespace {

void dequant_q8_0(const std::byte* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b) {
    const std::byte* blk = src + b * kQ8Bytes;
    const float d = block_scale(blk);
    const auto* qs = reinterpret_cast<const int8_t*>(blk + 2);
    for (int64_t j = 0; j < kQK; ++j) dst[b * kQK + j] = static_cast<float>(qs[j]) * d;
  }
}

void dequant_q4_0(const std::byte* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b) {
    const std::byte* blk = src + b * kQ4Bytes;
    const float d = block_scale(blk);
    const auto* qs = reinterpret_cast<const uint8_t*>(blk + 2);
    for (int64_t j = 0; j < kQK / 2; ++j) {
      dst[b * kQK + j] = static_cast<float>((qs[j] & 0x0f) - 8) * d;
      dst[b * kQK + j + kQK / 2] = static_cast<float>((qs[j] >> 4) - 8) * d;
    }
  }
}
}  // namespace

void dequantize(DType type, const std::byte* src, float* dst, int64_t n, bool fast) {
  if (fast && type == DType::Q8_0) return dequant_q8_0(src, dst, n);
  if (fast && type == DType::Q4_0) return dequant_q4_0(src, dst, n);
#ifdef TL_CPU_HAVE_DEQUANT
  tl::dequantize_row(type, src, dst, n);
#else
  // Built without vm/model's dequantize_row: only the formats decoded natively here.
  if (type == DType::Q8_0) return dequant_q8_0(src, dst, n);
  if (type == DType::Q4_0) return dequant_q4_0(src, dst, n);
  throw RuntimeError(
      fmt::format("cannot dequantize {}: this build of the CPU backend has no "
                  "dequantize_row (vm/model)",
                  dtype_name(type)));
#endif
}

bool has_fused_dot(DType type) {
  return type == DType::Q8_0 || type == DType::Q4_0;
}

float fused_dot_ref(DType type, const std::byte* blocks, const float* x, int64_t n) {
  float acc = 0.0f;
  for (int64_t b = 0; b < n / kQK; ++b) {
    float s = 0.0f;
    const float* xb = x + b * kQK;
    if (type == DType::Q8_0) {
      const std::byte* blk = blocks + b * kQ8Bytes;
      const auto* qs = reinterpret_cast<const int8_t*>(blk + 2);
      for (int64_t j = 0; j < kQK; ++j) s += xb[j] * static_cast<float>(qs[j]);
      acc += s * block_scale(blk);
    } else {
      const std::byte* blk = blocks + b * kQ4Bytes;
      const auto* qs = reinterpret_cast<const uint8_t*>(blk + 2);
      for (int64_t j = 0; j < kQK / 2; ++j) {
        s += xb[j] * static_cast<float>((qs[j] & 0x0f) - 8);
        s += xb[j + kQK / 2] * static_cast<float>((qs[j] >> 4) - 8);
      }
      acc += s * block_scale(blk);
    }
  }
  return acc;
}

#ifdef TL_CPU_X86
// The block scale through F16C: identical to half.h for every non-NaN value (and a NaN scale
// makes the dot product NaN either way), without half.h's branches.
TL_TARGET_AVX512 inline float block_scale_hw(const std::byte* blk) {
  f16_bits d;
  std::memcpy(&d, blk, 2);
  return _cvtsh_ss(d);
}

TL_TARGET_AVX512 float fused_dot_avx512(DType type, const std::byte* blocks, const float* x,
                                        int64_t n) {
  const int64_t nb = n / kQK;
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  if (type == DType::Q8_0) {
    for (int64_t b = 0; b < nb; ++b) {
      const std::byte* blk = blocks + b * kQ8Bytes;
      const __m512 d = _mm512_set1_ps(block_scale_hw(blk));
      const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
      const __m128i q1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 18));
      const __m512 f0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q0));
      const __m512 f1 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q1));
      __m512 s = _mm512_mul_ps(f0, _mm512_loadu_ps(x + b * kQK));
      s = _mm512_fmadd_ps(f1, _mm512_loadu_ps(x + b * kQK + 16), s);
      if (b & 1)
        acc1 = _mm512_fmadd_ps(s, d, acc1);
      else
        acc0 = _mm512_fmadd_ps(s, d, acc0);
    }
  } else if (type == DType::Q4_0) {
    // vpermps looks only at the low 4 bits of each index lane: a 16-entry table of the values
    // -8..7 turns nibbles into floats without masking, subtracting or converting.
    const __m512 table = _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);
    for (int64_t b = 0; b < nb; ++b) {
      const std::byte* blk = blocks + b * kQ4Bytes;
      const __m512 d = _mm512_set1_ps(block_scale_hw(blk));
      const __m512i q =
          _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2)));
      const __m512 lo = _mm512_permutexvar_ps(q, table);
      const __m512 hi = _mm512_permutexvar_ps(_mm512_srli_epi32(q, 4), table);
      __m512 s = _mm512_mul_ps(lo, _mm512_loadu_ps(x + b * kQK));
      s = _mm512_fmadd_ps(hi, _mm512_loadu_ps(x + b * kQK + 16), s);
      if (b & 1)
        acc1 = _mm512_fmadd_ps(s, d, acc1);
      else
        acc0 = _mm512_fmadd_ps(s, d, acc0);
    }
  } else {
    return fused_dot_ref(type, blocks, x, n);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}
#endif

float fused_dot(DType type, const std::byte* blocks, const float* x, int64_t n) {
#ifdef TL_CPU_X86
  if (host_kernels().isa == Isa::Avx512) return fused_dot_avx512(type, blocks, x, n);
#endif
  return fused_dot_ref(type, blocks, x, n);
}

}  // namespace tl::cpu
