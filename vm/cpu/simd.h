// The one place vm/cpu includes x86 intrinsics. The build targets baseline x86-64 (no
// -march=native): each SIMD kernel is compiled for its instruction set with a function-level
// target attribute below and chosen at run time from cpuid (cpu_features.h), beside a portable
// path. A helper called from such a kernel carries the same attribute (GCC inlines only into a
// function of the same target).
#pragma once

#if defined(__x86_64__)
// GCC 12 reports _mm512_undefined_*() inside its own intrinsics headers as uninitialised.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)  // a GCC-only warning group
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#pragma GCC diagnostic pop
#define TL_CPU_X86 1
#define TL_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#define TL_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))
#define TL_TARGET_AVX512VNNI \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))
#define TL_TARGET_AVXVNNI __attribute__((target("avxvnni,avx2,fma,f16c")))
// Plain loops the compiler vectorises (element-wise steps): one clone per tier, picked by the
// dynamic loader from cpuid (GNU ifunc). Without FMA contraction (-ffp-contract=off) every clone
// computes the same bits.
#define TL_CLONES_X86 __attribute__((target_clones("avx512f", "avx2", "default")))
// The sum of a ymm's 8 floats (the AVX2 kernels' final reduction).
TL_TARGET_AVX2 inline float hsum_avx2(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
#else
#define TL_CLONES_X86
#endif

#include "vm/cpu/cpu_features.h"
