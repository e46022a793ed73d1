// The one place vm/cpu includes x86 intrinsics and decides which SIMD paths are compiled.
// TL_CPU_AVX512 is defined when the build targets AVX-512 F/BW/VL (-march=native on this
// machine); every SIMD block is guarded by it and has a portable fallback.
#pragma once

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
// GCC 12 reports _mm512_undefined_*() inside its own intrinsics headers as uninitialised.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#define TL_CPU_AVX512 1
#endif
