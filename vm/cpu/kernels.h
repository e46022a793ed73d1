// Kernels of the CPU backend on raw, contiguous f16 arrays. Internal to vm/cpu (and its tests).
//
// Each kernel takes a Ctx: ctx.fast picks the fast path, otherwise the reference loops run.
// The CpuBackend methods check shapes and dtypes; kernels trust their arguments.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <vector>

#include "vm/core/dtype.h"
#include "vm/core/half.h"
#include "vm/cpu/cpu_features.h"
#include "vm/cpu/thread_pool.h"
#include "vm/tensor/backend.h"
#include "vm/tensor/elementwise.h"
#include "vm/tensor/llm.h"

namespace tl::cpu {

struct Q8Scratch;

struct Ctx {
  ThreadPool* pool = nullptr;  // nullptr: run on the calling thread only
  bool fast = true;
  Isa isa = host_kernels().isa;  // the SIMD tier of the fast paths (tests pick lower ones)
  bool vnni = true;              // int8 dot products on VNNI where the CPU has it (tests: false)
  // Reused between calls by the quantized products when set (the backend's), so a prefill does
  // not allocate and page-fault its activation blocks and weight panels anew in every linear().
  Q8Scratch* q8_scratch = nullptr;
};

// Runs fn(i) for i in [0, n): on the pool when there is one and the work is worth it.
inline void parallel(const Ctx& ctx, int64_t n, const std::function<void(int64_t)>& fn) {
  if (ctx.pool && n > 1)
    ctx.pool->parallel_for(n, fn);
  else
    for (int64_t i = 0; i < n; ++i) fn(i);
}

// ---- element-wise (elementwise.cpp) --------------------------------------------------------
// The scalar definitions both paths share (so fast and reference agree bit for bit).
float unary_f32(UnaryOp op, float x);
// e^x without libm (vectorisable; <= 2 ulp of f32): what exp, silu, sigmoid and gelu use.
float exp_f32(float x);
float binary_f32(BinaryOp op, float a, float b);

void unary(const Ctx& ctx, UnaryOp op, const f16_bits* x, f16_bits* y, int64_t n);
// Broadcast view of a binary op: dims of the output; element strides of a and b over the output
// dims (0 where the operand is broadcast).
struct BroadcastView {
  std::vector<int64_t> dims, sa, sb;
};
BroadcastView broadcast_view(const Shape& out, const Shape& a, const Shape& b);
void binary(const Ctx& ctx, BinaryOp op, const f16_bits* a, const f16_bits* b, f16_bits* y,
            const BroadcastView& v);
void binary_scalar(const Ctx& ctx, BinaryOp op, const f16_bits* a, float s, bool scalar_on_left,
                   f16_bits* y, int64_t n);

// A fused element-wise program (checked by validate()) over inputs broadcast to `dims`, the
// output's dims. A tensor input has `data` and element strides over `dims` (0 where broadcast);
// a scalar input has data == nullptr and `scalar`. Every step runs in f32; y is rounded once.
// Reference: per output element; fast: tiles of the output evaluated op by op in L1-sized f32
// buffers, bit-identical to the reference.
struct FusedInput {
  const f16_bits* data = nullptr;
  float scalar = 0.f;
  std::vector<int64_t> strides;
};
void elementwise(const Ctx& ctx, const ElementwiseProgram& p, std::span<const FusedInput> inputs,
                 const std::vector<int64_t>& dims, f16_bits* y);

// ---- reductions and normalisations (reduce.cpp); x viewed as [outer, n, inner] --------------
void reduce(const Ctx& ctx, ReduceOp op, const f16_bits* x, f16_bits* y, int64_t outer, int64_t n,
            int64_t inner);
void softmax(const Ctx& ctx, const f16_bits* x, f16_bits* y, int64_t outer, int64_t n,
             int64_t inner);
// Over rows of length n; w, b may be null.
void rms_norm(const Ctx& ctx, const f16_bits* x, const f16_bits* w, f16_bits* y, int64_t rows,
              int64_t n, float eps);
void layer_norm(const Ctx& ctx, const f16_bits* x, const f16_bits* w, const f16_bits* b,
                f16_bits* y, int64_t rows, int64_t n, float eps);

// ---- products (matmul.cpp, matvec.cpp, quant.cpp) --------------------------------------------
// The right operand of a product seen as a K x N matrix. KN: f16 row-major [K, N] (matmul's b);
// NK: rows of a weight [N, K] (linear; f16 or a ggml block format), `row_bytes` apart.
struct Rhs {
  enum class Layout { KN, NK } layout = Layout::KN;
  DType dtype = DType::F16;
  const std::byte* data = nullptr;
  int64_t row_bytes = 0;  // bytes between consecutive rows ([K, N]: k rows; [N, K]: n rows)
};

// C[M, N] = A[M, K] (f16, rows lda elements apart) @ B (+ bias[N] when not null), rounded once to
// f16 into C (rows ldc apart).
void gemm(const Ctx& ctx, int64_t M, int64_t N, int64_t K, const f16_bits* A, int64_t lda,
          const Rhs& B, const f16_bits* bias, f16_bits* C, int64_t ldc);

// Reference: row n, elements [k0, k0 + len), of an NK operand as f32 (dequantized when needed).
void rhs_row_f32(const Rhs& B, int64_t n, int64_t k0, int64_t len, float* out, bool fast);

// y[n] = dot(x[0:K], row n of B) for an NK operand: the matrix-vector product (fast path).
void matvec_nk(const Ctx& ctx, int64_t N, int64_t K, const float* x, const Rhs& B,
               const f16_bits* bias, f16_bits* y);
// y[n] = sum_k x[k] * B[k, n] for a KN operand (fast path).
void vecmat_kn(const Ctx& ctx, int64_t N, int64_t K, const float* x, const Rhs& B,
               const f16_bits* bias, f16_bits* y);

// ---- quantized blocks (quant.cpp) -------------------------------------------------------------
// Q8_0 = { f16 d; int8 q[32] }, Q4_0 = { f16 d; uint8 qs[16] } (ggml-quants.h).
inline constexpr int64_t kQK = 32;
inline constexpr int64_t kQ8Bytes = 34, kQ4Bytes = 18;
// The f16 scale a Q8_0/Q4_0 block starts with.
inline float block_scale(const std::byte* blk) {
  f16_bits d;
  std::memcpy(&d, blk, 2);
  return f16_to_f32(d);
}
// Dequantizes n elements (whole blocks). Reference: tl::dequantize_row; fast: native Q8_0/Q4_0.
void dequantize(DType type, const std::byte* src, float* dst, int64_t n, bool fast);
// True when the fused dot product below handles `type`.
bool has_fused_dot(DType type);
// dot(x[0:n], blocks) for Q8_0/Q4_0 without dequantizing to memory.
float fused_dot(DType type, const std::byte* blocks, const float* x, int64_t n);
// The scalar form of fused_dot (the reference its SIMD version is tested against).
float fused_dot_ref(DType type, const std::byte* blocks, const float* x, int64_t n);

// ---- language-model ops (llm.cpp) -------------------------------------------------------------
// Index of the max/min of x viewed as [outer, n, inner] over n -> y[outer * inner].
void arg_reduce(const Ctx& ctx, ArgOp op, const f16_bits* x, int64_t* y, int64_t outer, int64_t n,
                int64_t inner);
// Rows `ids` (checked) of a [V, D] table of `type` (F16 or ggml blocks, rows row_bytes apart).
void embedding(const Ctx& ctx, DType type, const std::byte* table, int64_t row_bytes, int64_t D,
               std::span<const int64_t> ids, f16_bits* y);
void rope(const Ctx& ctx, RopeMode mode, const f16_bits* x, f16_bits* y, int64_t T, int64_t H,
          int64_t hd, int64_t start, float theta);
// The scratch attention's fast path needs (the backend keeps it between calls).
size_t attention_scratch_floats(const Ctx& ctx, const AttentionDims& d, int64_t start);
void attention(const Ctx& ctx, const f16_bits* q, const f16_bits* k, const f16_bits* v, f16_bits* y,
               const AttentionDims& d, int64_t start, float scale, std::span<float> scratch);
// ---- quantized weights with Q8_0 activations (quant_q8.cpp), as ggml ---------------------------
// Rows of K values (K a multiple of 32) quantized to Q8_0 blocks: q = round-to-even(x·127/max|x|),
// d = max|x|/127 rounded to f16 (kept here as f32), as ggml's x86 quantize_row_q8_0.
struct Q8Activations {
  int64_t rows = 0, blocks = 0;
  std::vector<int8_t> q;     // rows * blocks * 32
  std::vector<float> d;      // rows * blocks
  std::vector<float> d8;     // each d 8 times (one per int32 lane of its block in a zmm)
  std::vector<int32_t> sum;  // rows * blocks: the sum of each block's q (Q4_0's -8 offset)
  void quantize(const float* x, int64_t num_rows, int64_t k, int64_t ldx);
  // The same from f16 rows (converted one row at a time), rows in parallel on ctx's pool.
  void quantize_f16(const Ctx& ctx, const f16_bits* x, int64_t num_rows, int64_t k, int64_t ldx);
  void resize(int64_t num_rows, int64_t k);  // keeps capacity: no allocation when reused
  const int8_t* row_q(int64_t r) const { return q.data() + r * blocks * 32; }
  const float* row_d(int64_t r) const { return d.data() + r * blocks; }
  const float* row_d8(int64_t r) const { return d8.data() + r * blocks * 8; }
  const int32_t* row_sum(int64_t r) const { return sum.data() + r * blocks; }
};
// True for the weight formats dot_rows_q8 takes (Q8_0, Q4_0).
inline bool has_q8_dot(DType t) {
  return t == DType::Q8_0 || t == DType::Q4_0;
}
// out[r] = dot(weight row w, activation row r0 + r) for r in [0, nr): per block an exact int32
// dot product scaled by d_w·d_x, summed in f32. ctx.fast = false: the scalar reference.
void dot_rows_q8(const Ctx& ctx, DType type, const std::byte* w, const Q8Activations& a, int64_t r0,
                 int64_t nr, float* out);
// Which integer dot product dot_rows_q8 uses at tier `isa` on this machine.
const char* q8_kernel_name(Isa isa);

// The tiled form for many activation rows (prefill), AVX512-VNNI only: weight rows are first
// repacked into a Q8WeightPanel (4 rows interleaved per zmm, their per-lane weight sums and
// scales: see quant_q8.cpp), then q8_tile_dots computes tiles of 4 activation rows x 16 weight
// rows, one VPDPBUSD pair per block and 4 weight rows. Activations enter as unsigned x + 128; the
// packed sums take the 128 back out, so every block's int32 dot product is exact, as in
// dot_rows_q8 (the f32 sums differ only in order).
bool has_q8_tiles(const Ctx& ctx);
struct Q8WeightPanel {
  int64_t rows = 0, blocks = 0;
  std::vector<std::byte> data;  // blocks * ceil(rows / 4) * 256 bytes
  void pack(DType type, const std::byte* w, int64_t row_bytes, int64_t num_rows,
            int64_t num_blocks);
};
// ---- K-quant weights with Q8_K activations (quant_k.cpp), as ggml ------------------------------
// Q4_K = { f16 d, dmin; u8 scales[12]; u8 qs[128] } (8 sub-blocks of 32: d·sc·q - dmin·m, 6-bit
// sc and m), Q6_K = { u8 ql[128], qh[64]; i8 scales[16]; f16 d } (16 sub-blocks of 16:
// d·sc·(q - 32), q of 6 bits), super-blocks of 256 values (ggml-common.h).
inline constexpr int64_t kQKK = 256;
inline constexpr int64_t kQ4KBytes = 144;
// Q4_K's 8 six-bit scales and 8 mins from their 12 packed bytes (ggml's get_scale_min_k4 for
// every j at once), as four little-endian words: scales 0..3, scales 4..7, mins 0..3, mins 4..7.
inline std::array<uint32_t, 4> q4k_scales_mins_words(const std::byte* packed) {
  uint32_t u0, u1, u2;
  std::memcpy(&u0, packed, 4);
  std::memcpy(&u1, packed + 4, 4);
  std::memcpy(&u2, packed + 8, 4);
  return {u0 & 0x3f3f3f3f, (u2 & 0x0f0f0f0f) | (((u0 >> 6) & 0x03030303) << 4), u1 & 0x3f3f3f3f,
          ((u2 >> 4) & 0x0f0f0f0f) | (((u1 >> 6) & 0x03030303) << 4)};
}
// The same as bytes: sm[0..7] the scales, sm[8..15] the mins.
inline void q4k_scales_mins(const std::byte* packed, uint8_t sm[16]) {
  const std::array<uint32_t, 4> words = q4k_scales_mins_words(packed);
  std::memcpy(sm, words.data(), 16);
}
// Rows of K values (K a multiple of 256) quantized to Q8_K super-blocks as ggml's
// quantize_row_q8_K_ref (what its x86 build uses): `max` the first value of largest magnitude,
// q = round-to-even(x·(-127/max)) capped at 127, d = 1/(-127/max) in f32 (so d < 0 when max > 0),
// bsums the sums of 16 consecutive q. An all-zero super-block has d = 0; one holding a NaN or an
// infinity gets d = NaN (ggml leaves that undefined), so the product is NaN, not finite.
struct Q8KActivations {
  int64_t rows = 0, blocks = 0;  // blocks: super-blocks per row
  std::vector<int8_t> q;         // rows * blocks * 256
  std::vector<float> d;          // rows * blocks
  std::vector<int16_t> bsums;    // rows * blocks * 16
  void quantize(const float* x, int64_t num_rows, int64_t k, int64_t ldx);
  // The same from f16 rows (each 256 values converted, then quantized by the same code), rows in
  // parallel on ctx's pool: bit for bit the blocks of quantize().
  void quantize_f16(const Ctx& ctx, const f16_bits* x, int64_t num_rows, int64_t k, int64_t ldx);
  void resize(int64_t num_rows, int64_t k);  // keeps capacity: no allocation when reused
  const int8_t* row_q(int64_t r) const { return q.data() + r * blocks * kQKK; }
  const float* row_d(int64_t r) const { return d.data() + r * blocks; }
  const int16_t* row_bsums(int64_t r) const { return bsums.data() + r * blocks * 16; }
};
// True for the weight formats dot_rows_q8k takes (Q4_K, Q6_K).
inline bool has_q8k_dot(DType t) {
  return t == DType::Q4_K || t == DType::Q6_K;
}
// out[r] = dot(weight row w, activation row r0 + r) for r in [0, nr): per super-block the exact
// int32 sum over sub-blocks of scale · (integer dot product), scaled by d_w·d_x (Q4_K: minus
// dmin_w·d_x times the exact sum of mins · bsums), summed in f32 (ggml's
// ggml_vec_dot_q4_K_q8_K / _q6_K_q8_K). ctx.fast = false: the scalar reference.
void dot_rows_q8k(const Ctx& ctx, DType type, const std::byte* w, const Q8KActivations& a,
                  int64_t r0, int64_t nr, float* out);
// Which integer dot product dot_rows_q8k uses at tier `isa` on this machine.
const char* q8k_kernel_name(Isa isa);

// What the quantized products reuse from call to call: the activations and one weight panel per
// worker.
struct Q8Scratch {
  Q8Activations act;
  Q8KActivations act_k;
  std::vector<Q8WeightPanel> panels;
};
// out[r * ldo + c] = dot(weight row c of `w`, activation row m0 + r), r < mc, c < w.rows.
void q8_tile_dots(const Q8WeightPanel& w, const Q8Activations& a, int64_t m0, int64_t mc,
                  float* out, int64_t ldo);

}  // namespace tl::cpu
