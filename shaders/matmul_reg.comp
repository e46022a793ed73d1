#version 450
#extension GL_GOOGLE_include_directive : require
// GEMM for CPU-type Vulkan devices (lavapipe): same contract and push constants as matmul.comp.
// On a CPU, shared memory buys nothing (memory is already cached) and each barrier costs a
// coroutine switch per SIMD chunk, so this kernel has neither. What costs on lavapipe is a load
// whose address differs per lane (a scalar loop over the lanes), while a load whose address is
// the same for the whole workgroup is one scalar load. So: lanes run along M (RM rows each), a
// workgroup owns TN = 8 columns; A rows are read 8 halves at a time (one wide per-lane load),
// RM = 16 rows per lane so that each (uniform) B value converted to f32 feeds 16 FMAs,
// B is read with uniform 16-byte loads, and 8 x RM x TN f32 FMAs follow each step in registers.
// Needs K % 8 == 0 (and N % 8 == 0 unless TRANS_B); the host checks and falls back to matmul.comp.
#include "common.glsl"
layout(local_size_x = 32) in;
const uint WG = 32;  // lanes per workgroup (= local_size_x)
layout(constant_id = 0) const uint TRANS_B = 0;
const uint RM = 16, TN = 8;
layout(binding = 0) readonly buffer A { uvec4 a[]; };
layout(binding = 1) readonly buffer B { uvec4 b[]; };
layout(binding = 2) readonly buffer Bias { float16_t bias[]; };
layout(binding = 3) writeonly buffer C { float16_t c[]; };
layout(push_constant) uniform P {
  uint m, n, k;
  uint has_bias;
  uint batch_rank;
  uint bdims[4];
  uint a_bs[4];
  uint b_bs[4];
} p;

void unpack8(uvec4 v, out float f[8]) {
  [[unroll]] for (uint i = 0; i < 4; ++i) {
    const vec2 h = unpackHalf2x16(v[i]);
    f[2 * i] = h.x;
    f[2 * i + 1] = h.y;
  }
}

void main() {
  uint rem = gl_WorkGroupID.z, a_off = 0, b_off = 0;
  for (int d = int(p.batch_rank) - 1; d >= 0; --d) {
    const uint ci = rem % p.bdims[d];
    rem /= p.bdims[d];
    a_off += ci * p.a_bs[d];
    b_off += ci * p.b_bs[d];
  }
  const uint c_off = gl_WorkGroupID.z * p.m * p.n;
  const uint col0 = gl_WorkGroupID.x * TN;
  const uint row0 = gl_WorkGroupID.y * (WG * RM) + gl_LocalInvocationID.x;
  const uint k8 = p.k / 8u;
  // Out-of-range rows/columns read clamped (valid) addresses; their results are not stored.
  uint arow[RM];
  [[unroll]] for (uint i = 0; i < RM; ++i) arow[i] = a_off / 8u + min(row0 + WG * i, p.m - 1u) * k8;
  uint bcol[TN];  // TRANS_B: start of row (col0 + j) of B, in uvec4 units
  [[unroll]] for (uint j = 0; j < TN; ++j) bcol[j] = b_off / 8u + min(col0 + j, p.n - 1u) * k8;
  const uint bc8 = b_off / 8u + min(col0, p.n - 8u) / 8u;  // !TRANS_B: columns col0..col0+7

  float acc[RM][TN];
  [[unroll]] for (uint i = 0; i < RM; ++i)
    [[unroll]] for (uint j = 0; j < TN; ++j) acc[i][j] = 0.0;
  for (uint kc = 0; kc < k8; ++kc) {
    float av[RM][8];
    [[unroll]] for (uint i = 0; i < RM; ++i) unpack8(a[arow[i] + kc], av[i]);
    float bm[8][TN];  // B[k0 + t][col0 + j], uniform over the workgroup
    if (TRANS_B == 1u) {
      [[unroll]] for (uint j = 0; j < TN; ++j) {
        float col[8];
        unpack8(b[bcol[j] + kc], col);
        [[unroll]] for (uint t = 0; t < 8; ++t) bm[t][j] = col[t];
      }
    } else {
      [[unroll]] for (uint t = 0; t < 8; ++t) unpack8(b[bc8 + (kc * 8u + t) * (p.n / 8u)], bm[t]);
    }
    [[unroll]] for (uint t = 0; t < 8; ++t)
      [[unroll]] for (uint j = 0; j < TN; ++j)
        [[unroll]] for (uint i = 0; i < RM; ++i) acc[i][j] += av[i][t] * bm[t][j];
  }
  [[unroll]] for (uint i = 0; i < RM; ++i) {
    const uint gr = row0 + WG * i;
    if (gr >= p.m) break;
    [[unroll]] for (uint j = 0; j < TN; ++j) {
      const uint gc = col0 + j;
      if (gc < p.n) {
        float v = acc[i][j];
        if (p.has_bias != 0u) v += float(bias[gc]);
        c[c_off + gr * p.n + gc] = float16_t(v);
      }
    }
  }
}
