// Matrix products. Reference: plain loops, f32 accumulation in k order, one rounding.
// Fast: BLIS-style blocking. Operands are converted from f16 (or dequantized) into packed f32
// panels; an MR x NR register-tile micro-kernel (AVX-512 or AVX2 FMA by cpuid, portable loops
// otherwise) accumulates in f32; C lives in an f32 workspace until the last k-block, then bias is
// added and every element is rounded to f16 once. Tasks are (row chunk, column block) pairs on the
// pool.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "vm/cpu/convert.h"
#include "vm/cpu/kernels.h"

#include "vm/cpu/simd.h"

namespace tl::cpu {

namespace {
// Blocking parameters (see docs/cpu-backend.md). KC is a multiple of 256 so that k-blocks start
// on a block boundary of every ggml format.
constexpr int64_t kMR = 12;   // rows of the register tile
constexpr int64_t kNR = 32;   // columns of the register tile: two 16-float vectors
constexpr int64_t kKC = 256;  // depth of a packed block: B micro-panel KC*NR*4 = 32 KiB (L1)
constexpr int64_t kMC = 192;  // rows of a packed A block: MC*KC*4 = 192 KiB (L2)
constexpr int64_t kNC = 512;  // columns per task: B block KC*NC*4 = 512 KiB (L2)

inline const f16_bits* as_f16(const std::byte* p) {
  return reinterpret_cast<const f16_bits*>(p);
}

// ---- reference --------------------------------------------------------------------------------

void gemm_ref(int64_t M, int64_t N, int64_t K, const f16_bits* A, int64_t lda, const Rhs& B,
              const f16_bits* bias, f16_bits* C, int64_t ldc) {
  std::vector<float> a(static_cast<size_t>(M * K)), col(static_cast<size_t>(K));
  for (int64_t i = 0; i < M; ++i)
    for (int64_t k = 0; k < K; ++k) a[i * K + k] = f16_to_f32(A[i * lda + k]);
  for (int64_t n = 0; n < N; ++n) {
    if (B.layout == Rhs::Layout::KN) {
      for (int64_t k = 0; k < K; ++k) col[k] = f16_to_f32(as_f16(B.data + k * B.row_bytes)[n]);
    } else {
      rhs_row_f32(B, n, 0, K, col.data(), false);
    }
    for (int64_t i = 0; i < M; ++i) {
      float acc = 0.0f;
      for (int64_t k = 0; k < K; ++k) acc += a[i * K + k] * col[k];
      if (bias) acc += f16_to_f32(bias[n]);
      C[i * ldc + n] = f32_to_f16(acc);
    }
  }
}

// ---- packing ----------------------------------------------------------------------------------

// A[m0:m0+mc, k0:k0+kc] into micro-panels of kMR rows: panel p, element (k, r) at
// p*kc*kMR + k*kMR + r. Rows past the end are zero.
void pack_a(const f16_bits* A, int64_t lda, int64_t m0, int64_t mc, int64_t k0, int64_t kc,
            float* out, float* tmp) {
  for (int64_t p = 0; p * kMR < mc; ++p) {
    float* panel = out + p * kc * kMR;
    for (int64_t r = 0; r < kMR; ++r) {
      const int64_t i = p * kMR + r;
      if (i < mc) {
        f16_to_f32_row(A + (m0 + i) * lda + k0, tmp, kc);
        for (int64_t k = 0; k < kc; ++k) panel[k * kMR + r] = tmp[k];
      } else {
        for (int64_t k = 0; k < kc; ++k) panel[k * kMR + r] = 0.0f;
      }
    }
  }
}

// B[k0:k0+kc, n0:n0+nc] into micro-panels of kNR columns: panel p, element (k, c) at
// p*kc*kNR + k*kNR + c. Columns past the end are zero.
void pack_b(const Rhs& B, int64_t n0, int64_t nc, int64_t k0, int64_t kc, float* out, float* tmp) {
  for (int64_t p = 0; p * kNR < nc; ++p) {
    float* panel = out + p * kc * kNR;
    const int64_t cols = std::min(kNR, nc - p * kNR);
    if (B.layout == Rhs::Layout::KN) {
      for (int64_t k = 0; k < kc; ++k) {
        f16_to_f32_row(as_f16(B.data + (k0 + k) * B.row_bytes) + n0 + p * kNR, panel + k * kNR,
                       cols);
        std::fill(panel + k * kNR + cols, panel + (k + 1) * kNR, 0.0f);
      }
    } else {
      for (int64_t c = 0; c < kNR; ++c) {
        if (c < cols) {
          rhs_row_f32(B, n0 + p * kNR + c, k0, kc, tmp, true);
          for (int64_t k = 0; k < kc; ++k) panel[k * kNR + c] = tmp[k];
        } else {
          for (int64_t k = 0; k < kc; ++k) panel[k * kNR + c] = 0.0f;
        }
      }
    }
  }
}

// ---- micro-kernel -----------------------------------------------------------------------------

// acc[kMR][kNR] = sum over k of Ap(k, r) * Bp(k, c).
void micro_kernel_portable(int64_t kc, const float* Ap, const float* Bp, float* acc) {
  float c[kMR][kNR] = {};
  for (int64_t k = 0; k < kc; ++k)
    for (int r = 0; r < kMR; ++r)
      for (int j = 0; j < kNR; ++j) c[r][j] += Ap[k * kMR + r] * Bp[k * kNR + j];
  std::memcpy(acc, c, sizeof c);
}

#ifdef TL_CPU_X86
TL_TARGET_AVX512 void micro_kernel_avx512(int64_t kc, const float* Ap, const float* Bp,
                                          float* acc) {
  __m512 c0[kMR], c1[kMR];
  for (int r = 0; r < kMR; ++r) c0[r] = c1[r] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(Bp + k * kNR);
    const __m512 b1 = _mm512_loadu_ps(Bp + k * kNR + 16);
    const float* a = Ap + k * kMR;
#pragma GCC unroll 12
    for (int r = 0; r < kMR; ++r) {
      const __m512 av = _mm512_set1_ps(a[r]);
      c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
      c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
    }
  }
  for (int r = 0; r < kMR; ++r) {
    _mm512_storeu_ps(acc + r * kNR, c0[r]);
    _mm512_storeu_ps(acc + r * kNR + 16, c1[r]);
  }
}

// 16 ymm registers hold a 6 x 16 tile (12 accumulators, 2 B vectors, 1 broadcast): the 12 x 32
// tile is four such passes over the same packed panels.
TL_TARGET_AVX2 void micro_kernel_avx2(int64_t kc, const float* Ap, const float* Bp, float* acc) {
  for (int r0 = 0; r0 < kMR; r0 += 6) {
    for (int j0 = 0; j0 < kNR; j0 += 16) {
      __m256 c0[6], c1[6];
      for (int r = 0; r < 6; ++r) c0[r] = c1[r] = _mm256_setzero_ps();
      for (int64_t k = 0; k < kc; ++k) {
        const __m256 b0 = _mm256_loadu_ps(Bp + k * kNR + j0);
        const __m256 b1 = _mm256_loadu_ps(Bp + k * kNR + j0 + 8);
        const float* a = Ap + k * kMR + r0;
#pragma GCC unroll 6
        for (int r = 0; r < 6; ++r) {
          const __m256 av = _mm256_broadcast_ss(a + r);
          c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
          c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
        }
      }
      for (int r = 0; r < 6; ++r) {
        _mm256_storeu_ps(acc + (r0 + r) * kNR + j0, c0[r]);
        _mm256_storeu_ps(acc + (r0 + r) * kNR + j0 + 8, c1[r]);
      }
    }
  }
}
#endif

using MicroKernel = void (*)(int64_t, const float*, const float*, float*);
MicroKernel micro_kernel_for(Isa isa) {
#ifdef TL_CPU_X86
  if (isa == Isa::Avx512) return micro_kernel_avx512;
  if (isa == Isa::Avx2) return micro_kernel_avx2;
#endif
  (void)isa;
  return micro_kernel_portable;
}

// Adds (or stores, when `first`) the valid mr x nr part of a tile into the f32 workspace.
void accumulate_tile(const float* acc, float* W, int64_t ldw, int64_t mr, int64_t nr, bool first) {
  for (int64_t r = 0; r < mr; ++r) {
    float* w = W + r * ldw;
    const float* a = acc + r * kNR;
    if (first)
      std::memcpy(w, a, static_cast<size_t>(nr) * sizeof(float));
    else
      for (int64_t j = 0; j < nr; ++j) w[j] += a[j];
  }
}

void gemm_packed(const Ctx& ctx, int64_t M, int64_t N, int64_t K, const f16_bits* A, int64_t lda,
                 const Rhs& B, const f16_bits* bias, f16_bits* C, int64_t ldc) {
  const int threads = ctx.pool ? ctx.pool->size() : 1;
  const int64_t n_blocks = (N + kNC - 1) / kNC;
  // Enough row chunks that every thread has work; B is then packed once per row chunk.
  const int64_t m_tiles = (M + kMR - 1) / kMR;
  const int64_t m_chunks = std::clamp<int64_t>((2 * threads + n_blocks - 1) / n_blocks, 1, m_tiles);
  const int64_t m_chunk = (m_tiles + m_chunks - 1) / m_chunks * kMR;
  const int64_t tasks = ((M + m_chunk - 1) / m_chunk) * n_blocks;
  const std::unique_ptr<float[]> work(new float[static_cast<size_t>(M * N)]);
  std::vector<float> bias_f(static_cast<size_t>(bias ? N : 0));
  if (bias) f16_to_f32_row(bias, bias_f.data(), N);

  parallel(ctx, tasks, [&](int64_t t) {
    const int64_t m0 = t / n_blocks * m_chunk, m1 = std::min(M, m0 + m_chunk);
    const int64_t n0 = t % n_blocks * kNC, nc = std::min(kNC, N - n0);
    const int64_t kc_max = std::min(kKC, K);
    const int64_t nc_pad = (nc + kNR - 1) / kNR * kNR;
    const int64_t mc_pad = std::min(kMC, (m1 - m0 + kMR - 1) / kMR * kMR);
    std::vector<float> bp(static_cast<size_t>(kc_max * nc_pad));
    std::vector<float> ap(static_cast<size_t>(kc_max * mc_pad));
    std::vector<float> tmp(static_cast<size_t>(kc_max));
    alignas(64) float acc[kMR * kNR];
    const MicroKernel micro_kernel = micro_kernel_for(ctx.isa);
    for (int64_t k0 = 0; k0 < K; k0 += kKC) {
      const int64_t kc = std::min(kKC, K - k0);
      pack_b(B, n0, nc, k0, kc, bp.data(), tmp.data());
      for (int64_t i0 = m0; i0 < m1; i0 += kMC) {
        const int64_t mc = std::min(kMC, m1 - i0);
        pack_a(A, lda, i0, mc, k0, kc, ap.data(), tmp.data());
        for (int64_t jp = 0; jp * kNR < nc; ++jp) {
          const int64_t nr = std::min(kNR, nc - jp * kNR);
          for (int64_t ip = 0; ip * kMR < mc; ++ip) {
            const int64_t mr = std::min(kMR, mc - ip * kMR);
            micro_kernel(kc, ap.data() + ip * kc * kMR, bp.data() + jp * kc * kNR, acc);
            accumulate_tile(acc, work.get() + (i0 + ip * kMR) * N + n0 + jp * kNR, N, mr, nr,
                            k0 == 0);
          }
        }
      }
    }
    for (int64_t i = m0; i < m1; ++i) {
      float* w = work.get() + i * N + n0;
      if (K == 0) std::fill(w, w + nc, 0.0f);
      if (bias)
        for (int64_t j = 0; j < nc; ++j) w[j] += bias_f[n0 + j];
      f32_to_f16_row(w, C + i * ldc + n0, nc);
    }
  });
}
}  // namespace

void rhs_row_f32(const Rhs& B, int64_t n, int64_t k0, int64_t len, float* out, bool fast) {
  const std::byte* row = B.data + n * B.row_bytes;
  if (B.dtype == DType::F16) {
    if (fast)
      f16_to_f32_row(as_f16(row) + k0, out, len);
    else
      f16_to_f32_row_ref(as_f16(row) + k0, out, len);
    return;
  }
  const auto& info = dtype_info(B.dtype);
  dequantize(B.dtype, row + k0 / info.block_elems * info.block_bytes, out, len, fast);
}

namespace {
constexpr int64_t kRowsPerTask = 16, kActRows = 64;

// C[m, n] = dot(m0, mc, n) + bias[n] for the products of quantized activations: a task takes 16
// weight rows, which stay in L2 while it walks the activations in chunks of 64 rows (at most
// 64·K bytes of quants plus their scales, also L2-sized), each weight row in L1 against a chunk.
// dot(n, m0, mc, out) writes out[i] = weight row n · activation row m0 + i, i < mc.
template <class Dot>
void rows_by_weight_rows(const Ctx& ctx, int64_t M, int64_t N, const f16_bits* bias, f16_bits* C,
                         int64_t ldc, const Dot& dot) {
  const int64_t tasks = (N + kRowsPerTask - 1) / kRowsPerTask;
  parallel(ctx, tasks, [&](int64_t t) {
    const int64_t n0 = t * kRowsPerTask, n1 = std::min(N, n0 + kRowsPerTask);
    float out[kActRows];
    for (int64_t m0 = 0; m0 < M; m0 += kActRows) {
      const int64_t mc = std::min(kActRows, M - m0);
      for (int64_t n = n0; n < n1; ++n) {
        dot(n, m0, mc, out);
        const float b = bias ? f16_to_f32(bias[n]) : 0.0f;
        for (int64_t i = 0; i < mc; ++i) C[(m0 + i) * ldc + n] = f32_to_f16(out[i] + b);
      }
    }
  });
}

// Q8_0/Q4_0 weights [N, K]: the activation rows quantized to Q8_0 once, then each task takes a
// run of weight rows and dots every one with the activation rows (4 at a time). Reference and fast
// paths both compute ggml's arithmetic (quant_q8.cpp); the fast one on int8 dot-product
// instructions.
void gemm_q8(const Ctx& ctx, int64_t M, int64_t N, int64_t K, const f16_bits* A, int64_t lda,
             const Rhs& B, const f16_bits* bias, f16_bits* C, int64_t ldc) {
  Q8Scratch local;
  Q8Scratch& scratch = ctx.q8_scratch ? *ctx.q8_scratch : local;
  Q8Activations& act = scratch.act;
  act.quantize_f16(ctx, A, M, K, lda);
  const int64_t tasks = (N + kRowsPerTask - 1) / kRowsPerTask;
  if (M >= 4 && has_q8_tiles(ctx)) {
    // A task repacks its 16 weight rows (L2-sized) into its worker's panel, then computes tiles
    // of activation rows x those weight rows; each row of results is rounded to f16 with the
    // vector conversion. Tasks are dealt round-robin to the workers.
    const int64_t workers =
        std::max<int64_t>(1, std::min<int64_t>(ctx.pool ? ctx.pool->size() : 1, tasks));
    if (static_cast<int64_t>(scratch.panels.size()) < workers) scratch.panels.resize(workers);
    parallel(ctx, workers, [&](int64_t worker) {
      Q8WeightPanel& panel = scratch.panels[worker];
      for (int64_t t = worker; t < tasks; t += workers) {
        const int64_t n0 = t * kRowsPerTask, nw = std::min(N, n0 + kRowsPerTask) - n0;
        panel.pack(B.dtype, B.data + n0 * B.row_bytes, B.row_bytes, nw, K / 32);
        float out[kActRows * kRowsPerTask];
        float bias_f[kRowsPerTask] = {};
        if (bias) f16_to_f32_row(bias + n0, bias_f, nw);
        for (int64_t m0 = 0; m0 < M; m0 += kActRows) {
          const int64_t mc = std::min(kActRows, M - m0);
          q8_tile_dots(panel, act, m0, mc, out, kRowsPerTask);
          for (int64_t i = 0; i < mc; ++i) {
            float* row = out + i * kRowsPerTask;
            for (int64_t c = 0; c < nw; ++c) row[c] += bias_f[c];
            f32_to_f16_row(row, C + (m0 + i) * ldc + n0, nw);
          }
        }
      }
    });
    return;
  }
  rows_by_weight_rows(ctx, M, N, bias, C, ldc, [&](int64_t n, int64_t m0, int64_t mc, float* out) {
    dot_rows_q8(ctx, B.dtype, B.data + n * B.row_bytes, act, m0, mc, out);
  });
}

// Q4_K/Q6_K weights [N, K]: the activation rows quantized to Q8_K once (into the backend's
// scratch), then the same walk as gemm_q8's, each weight row dotted with up to 4 activation rows
// at a time by quant_k.cpp's integer kernels.
void gemm_q8k(const Ctx& ctx, int64_t M, int64_t N, int64_t K, const f16_bits* A, int64_t lda,
              const Rhs& B, const f16_bits* bias, f16_bits* C, int64_t ldc) {
  Q8KActivations local;
  Q8KActivations& act = ctx.q8_scratch ? ctx.q8_scratch->act_k : local;
  act.quantize_f16(ctx, A, M, K, lda);
  rows_by_weight_rows(ctx, M, N, bias, C, ldc, [&](int64_t n, int64_t m0, int64_t mc, float* out) {
    dot_rows_q8k(ctx, B.dtype, B.data + n * B.row_bytes, act, m0, mc, out);
  });
}
}  // namespace

void gemm(const Ctx& ctx, int64_t M, int64_t N, int64_t K, const f16_bits* A, int64_t lda,
          const Rhs& B, const f16_bits* bias, f16_bits* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (B.layout == Rhs::Layout::NK && has_q8_dot(B.dtype) && K % 32 == 0)
    return gemm_q8(ctx, M, N, K, A, lda, B, bias, C, ldc);
  if (B.layout == Rhs::Layout::NK && has_q8k_dot(B.dtype) && K % kQKK == 0)
    return gemm_q8k(ctx, M, N, K, A, lda, B, bias, C, ldc);
  if (!ctx.fast) return gemm_ref(M, N, K, A, lda, B, bias, C, ldc);
  if (K > 0 && M < 4) {
    // Too few rows to amortise packing: one streaming pass over B per row.
    std::vector<float> x(static_cast<size_t>(K));
    for (int64_t i = 0; i < M; ++i) {
      f16_to_f32_row(A + i * lda, x.data(), K);
      if (B.layout == Rhs::Layout::NK)
        matvec_nk(ctx, N, K, x.data(), B, bias, C + i * ldc);
      else
        vecmat_kn(ctx, N, K, x.data(), B, bias, C + i * ldc);
    }
    return;
  }
  if (K > 0 && N == 1 && !bias && B.layout == Rhs::Layout::KN && ldc == 1) {
    // Matrix @ vector: dot products of A's rows with B's single column.
    std::vector<float> x(static_cast<size_t>(K));
    for (int64_t k = 0; k < K; ++k) x[k] = f16_to_f32(as_f16(B.data + k * B.row_bytes)[0]);
    const Rhs rows{Rhs::Layout::NK, DType::F16, reinterpret_cast<const std::byte*>(A),
                   lda * static_cast<int64_t>(sizeof(f16_bits))};
    return matvec_nk(ctx, M, K, x.data(), rows, bias, C);
  }
  gemm_packed(ctx, M, N, K, A, lda, B, bias, C, ldc);
}

}  // namespace tl::cpu
