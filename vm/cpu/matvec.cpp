// Matrix-vector products: bound by the weight stream, so each weight byte is read once, straight
// from its storage format (f16 converted in registers, Q8_0/Q4_0 blocks dotted in place), with
// the activation vector kept in f32 in L1. Rows (or column blocks) are spread over the pool.
#include <algorithm>
#include <vector>

#include "vm/cpu/convert.h"
#include "vm/cpu/kernels.h"

#include "vm/cpu/simd.h"

namespace tl::cpu {

namespace {
constexpr int64_t kRowsPerTask = 64;
constexpr int64_t kColsPerTask = 256;

inline const f16_bits* as_f16(const std::byte* p) {
  return reinterpret_cast<const f16_bits*>(p);
}

// out[r] = dot(x, w_r) for 4 f16 rows at once (x loaded once per 4 rows).
void dot4_f16_portable(const f16_bits* const w[4], const float* x, int64_t K, int64_t ahead,
                       float out[4]) {
  (void)ahead;
  float buf[256];
  for (int r = 0; r < 4; ++r) {
    float acc = 0.0f;
    for (int64_t k0 = 0; k0 < K; k0 += 256) {
      const int64_t len = std::min<int64_t>(256, K - k0);
      f16_to_f32_row(w[r] + k0, buf, len);
      for (int64_t k = 0; k < len; ++k) acc += buf[k] * x[k0 + k];
    }
    out[r] = acc;
  }
}

// dot(x, w) for one f16 row; `ahead` as in the 4-row form.
float dot1_f16_portable(const f16_bits* w, const float* x, int64_t K, int64_t ahead) {
  float out[4];
  const f16_bits* const rows[4] = {w, w, w, w};
  dot4_f16_portable(rows, x, K, ahead, out);  // the reference computes each row on its own
  return out[0];
}

#ifdef TL_CPU_X86
TL_TARGET_AVX512 float dot1_f16_avx512(const f16_bits* w, const float* x, int64_t K,
                                       int64_t ahead) {
  __m512 a[4];
  for (auto& v : a) v = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 64 <= K; k += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(w + k + ahead), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(w + k + ahead + 32), _MM_HINT_T0);
    for (int j = 0; j < 4; ++j)
      a[j] = _mm512_fmadd_ps(
          _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + k + 16 * j))),
          _mm512_loadu_ps(x + k + 16 * j), a[j]);
  }
  for (; k < K; k += 16) {
    const __mmask16 m = K - k >= 16 ? __mmask16(0xffff) : __mmask16((1u << (K - k)) - 1);
    a[0] = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w + k)),
                           _mm512_maskz_loadu_ps(m, x + k), a[0]);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a[0], a[1]), _mm512_add_ps(a[2], a[3])));
}

TL_TARGET_AVX512 void dot4_f16_avx512(const f16_bits* const w[4], const float* x, int64_t K,
                                      int64_t ahead, float out[4]) {
  __m512 a[4][2];
  for (auto& r : a) r[0] = r[1] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 32 <= K; k += 32) {
    const __m512 x0 = _mm512_loadu_ps(x + k), x1 = _mm512_loadu_ps(x + k + 16);
    if (ahead)
      for (int r = 0; r < 4; ++r)
        _mm_prefetch(reinterpret_cast<const char*>(w[r] + k + ahead), _MM_HINT_T0);
    for (int r = 0; r < 4; ++r) {
      const __m512 w0 =
          _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[r] + k)));
      const __m512 w1 =
          _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[r] + k + 16)));
      a[r][0] = _mm512_fmadd_ps(w0, x0, a[r][0]);
      a[r][1] = _mm512_fmadd_ps(w1, x1, a[r][1]);
    }
  }
  for (; k < K; k += 16) {
    const __mmask16 m = K - k >= 16 ? __mmask16(0xffff) : __mmask16((1u << (K - k)) - 1);
    const __m512 xv = _mm512_maskz_loadu_ps(m, x + k);
    for (int r = 0; r < 4; ++r)
      a[r][0] =
          _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w[r] + k)), xv, a[r][0]);
  }
  for (int r = 0; r < 4; ++r) out[r] = _mm512_reduce_add_ps(_mm512_add_ps(a[r][0], a[r][1]));
}

TL_TARGET_AVX2 void dot4_f16_avx2(const f16_bits* const w[4], const float* x, int64_t K,
                                  int64_t ahead, float out[4]) {
  (void)ahead;
  __m256 a[4][2];
  for (auto& r : a) r[0] = r[1] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= K; k += 16) {
    const __m256 x0 = _mm256_loadu_ps(x + k), x1 = _mm256_loadu_ps(x + k + 8);
    for (int r = 0; r < 4; ++r) {
      const __m256 w0 =
          _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[r] + k)));
      const __m256 w1 =
          _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[r] + k + 8)));
      a[r][0] = _mm256_fmadd_ps(w0, x0, a[r][0]);
      a[r][1] = _mm256_fmadd_ps(w1, x1, a[r][1]);
    }
  }
  for (int r = 0; r < 4; ++r) {
    float acc = hsum_avx2(_mm256_add_ps(a[r][0], a[r][1]));
    for (int64_t j = k; j < K; ++j) acc += f16_to_f32(w[r][j]) * x[j];
    out[r] = acc;
  }
}

TL_TARGET_AVX2 float dot1_f16_avx2(const f16_bits* w, const float* x, int64_t K, int64_t ahead) {
  __m256 a[4];
  for (auto& v : a) v = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 32 <= K; k += 32) {
    _mm_prefetch(reinterpret_cast<const char*>(w + k + ahead), _MM_HINT_T0);
    for (int j = 0; j < 4; ++j)
      a[j] = _mm256_fmadd_ps(
          _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + k + 8 * j))),
          _mm256_loadu_ps(x + k + 8 * j), a[j]);
  }
  float acc = hsum_avx2(_mm256_add_ps(_mm256_add_ps(a[0], a[1]), _mm256_add_ps(a[2], a[3])));
  for (; k < K; ++k) acc += f16_to_f32(w[k]) * x[k];
  return acc;
}
#endif

// `ahead`: elements from each row to the same place 4 rows on (0: none), which the AVX-512 form
// prefetches.
using Dot4 = void (*)(const f16_bits* const[4], const float*, int64_t, int64_t, float[4]);
Dot4 dot4_for(Isa isa) {
#ifdef TL_CPU_X86
  if (isa == Isa::Avx512) return dot4_f16_avx512;
  if (isa == Isa::Avx2) return dot4_f16_avx2;
#endif
  (void)isa;
  return dot4_f16_portable;
}
// `ahead`: elements ahead of the current place in the row (and on into the rows after it), which
// the SIMD forms prefetch.
using Dot1 = float (*)(const f16_bits*, const float*, int64_t, int64_t);
Dot1 dot1_for(Isa isa) {
#ifdef TL_CPU_X86
  if (isa == Isa::Avx512) return dot1_f16_avx512;
  if (isa == Isa::Avx2) return dot1_f16_avx2;
#endif
  (void)isa;
  return dot1_f16_portable;
}

// Rows of at most this many f16 elements (16 KiB) are read one at a time: a task's rows are then
// one sequential stream, which the prefetchers follow across rows, with 4 KiB prefetched ahead
// by hand (TinyLlama's 2048-wide rows decoded faster than with 4 rows at once, in a `tl run`
// A/B on the EPYC). Longer rows are read 4 at a time, x loaded once per 4 rows: each row is then
// a long run the prefetchers have time to follow (4096 x 14336: 4 at once is faster in
// bench/cpu's BM_MatvecDram).
constexpr int64_t kShortRow = 8192;
constexpr int64_t kPrefetchAhead = 2048;  // elements: 4 KiB
}  // namespace

void matvec_nk(const Ctx& ctx, int64_t N, int64_t K, const float* x, const Rhs& B,
               const f16_bits* bias, f16_bits* y) {
  const int64_t tasks = (N + kRowsPerTask - 1) / kRowsPerTask;
  parallel(ctx, tasks, [&](int64_t t) {
    const int64_t n0 = t * kRowsPerTask, n1 = std::min(N, n0 + kRowsPerTask);
    float out[kRowsPerTask];
    if (B.dtype == DType::F16) {
      const Dot4 dot4_f16 = dot4_for(ctx.isa);
      int64_t n = n0;
      if (K <= kShortRow) {
        const Dot1 dot1_f16 = dot1_for(ctx.isa);
        for (; n < n1; ++n)
          out[n - n0] = dot1_f16(as_f16(B.data + n * B.row_bytes), x, K, kPrefetchAhead);
      }
      for (; n + 4 <= n1; n += 4) {
        const f16_bits* w[4];
        for (int r = 0; r < 4; ++r) w[r] = as_f16(B.data + (n + r) * B.row_bytes);
        // The next 4 rows are prefetched alongside: a model's rows come from a file mapping in
        // 4 KiB pages, where the hardware prefetchers stop at every page (a 2048-wide f16 row
        // is one page).
        dot4_f16(w, x, K, 4 * B.row_bytes / static_cast<int64_t>(sizeof(f16_bits)), out + (n - n0));
      }
      for (; n < n1; ++n) {
        const f16_bits* w[4];
        for (auto& p : w) p = as_f16(B.data + n * B.row_bytes);
        float o[4];
        dot4_f16(w, x, K, 0, o);
        out[n - n0] = o[0];
      }
    } else if (has_fused_dot(B.dtype)) {
      for (int64_t n = n0; n < n1; ++n)
        out[n - n0] = fused_dot(B.dtype, B.data + n * B.row_bytes, x, K);
    } else {
      std::vector<float> row(static_cast<size_t>(K));
      for (int64_t n = n0; n < n1; ++n) {
        rhs_row_f32(B, n, 0, K, row.data(), true);
        float acc = 0.0f;
        for (int64_t k = 0; k < K; ++k) acc += row[k] * x[k];
        out[n - n0] = acc;
      }
    }
    if (bias)
      for (int64_t n = n0; n < n1; ++n) out[n - n0] += f16_to_f32(bias[n]);
    f32_to_f16_row(out, y + n0, n1 - n0);
  });
}

void vecmat_kn(const Ctx& ctx, int64_t N, int64_t K, const float* x, const Rhs& B,
               const f16_bits* bias, f16_bits* y) {
  const int64_t tasks = (N + kColsPerTask - 1) / kColsPerTask;
  parallel(ctx, tasks, [&](int64_t t) {
    const int64_t n0 = t * kColsPerTask, nc = std::min(kColsPerTask, N - n0);
    alignas(64) float acc[kColsPerTask] = {};
    alignas(64) float row[kColsPerTask];
    for (int64_t k = 0; k < K; ++k) {
      f16_to_f32_row(as_f16(B.data + k * B.row_bytes) + n0, row, nc);
      const float xk = x[k];
      for (int64_t j = 0; j < nc; ++j) acc[j] += xk * row[j];
    }
    if (bias)
      for (int64_t j = 0; j < nc; ++j) acc[j] += f16_to_f32(bias[n0 + j]);
    f32_to_f16_row(acc, y + n0, nc);
  });
}

}  // namespace tl::cpu
