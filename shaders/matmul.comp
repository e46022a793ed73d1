#version 450
#extension GL_GOOGLE_include_directive : require
// Batched C[b] = A[b] @ B[b] (+ bias), f16 in/out, f32 accumulation in registers.
// A is [M, K]; B is [K, N], or [N, K] when TRANS_B (spec 0) = 1 (linear: x @ W^T).
// Tiles of BM x BN outputs per workgroup of 16 x 16 invocations, each computing TM x TN outputs
// spaced 16 apart (so neighbouring invocations touch neighbouring addresses: vector loads and
// stores on SIMD devices), K walked in BK-wide slices staged through shared memory.
// Batch: gl_WorkGroupID.z enumerates the broadcast batch; per-dim strides give A's and B's offsets.
#include "common.glsl"
layout(local_size_x = 16, local_size_y = 16) in;
layout(constant_id = 0) const uint TRANS_B = 0;
const uint TM = 4, TN = 4, BM = 16 * TM, BN = 16 * TN, BK = 16;
layout(binding = 0) readonly buffer A { float16_t a[]; };
layout(binding = 1) readonly buffer B { float16_t b[]; };
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

shared float s_a[BK][BM];
shared float s_b[BK][BN];

void main() {
  const uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
  const uint tid = ty * 16u + tx;
  const uint row0 = gl_WorkGroupID.y * BM, col0 = gl_WorkGroupID.x * BN;
  uint rem = gl_WorkGroupID.z, a_off = 0, b_off = 0;
  for (int d = int(p.batch_rank) - 1; d >= 0; --d) {
    const uint ci = rem % p.bdims[d];
    rem /= p.bdims[d];
    a_off += ci * p.a_bs[d];
    b_off += ci * p.b_bs[d];
  }
  const uint c_off = gl_WorkGroupID.z * p.m * p.n;

  float acc[TM][TN];
  [[unroll]] for (uint i = 0; i < TM; ++i)
    [[unroll]] for (uint j = 0; j < TN; ++j) acc[i][j] = 0.0;

  for (uint k0 = 0; k0 < p.k; k0 += BK) {
    // A tile [BM x BK]: 4 elements per invocation, k fastest so rows are read contiguously.
    [[unroll]] for (uint e = 0; e < (BM * BK) / 256u; ++e) {
      const uint idx = tid + e * 256u;
      const uint r = idx / BK, kk = idx % BK;
      const uint gr = row0 + r, gk = k0 + kk;
      s_a[kk][r] = (gr < p.m && gk < p.k) ? float(a[a_off + gr * p.k + gk]) : 0.0;
    }
    [[unroll]] for (uint e = 0; e < (BN * BK) / 256u; ++e) {
      const uint idx = tid + e * 256u;
      if (TRANS_B == 1u) {
        const uint cc = idx / BK, kk = idx % BK;
        const uint gc = col0 + cc, gk = k0 + kk;
        s_b[kk][cc] = (gc < p.n && gk < p.k) ? float(b[b_off + gc * p.k + gk]) : 0.0;
      } else {
        const uint kk = idx / BN, cc = idx % BN;
        const uint gc = col0 + cc, gk = k0 + kk;
        s_b[kk][cc] = (gc < p.n && gk < p.k) ? float(b[b_off + gk * p.n + gc]) : 0.0;
      }
    }
    barrier();
    [[unroll]] for (uint kk = 0; kk < BK; ++kk) {
      float av[TM], bv[TN];
      [[unroll]] for (uint i = 0; i < TM; ++i) av[i] = s_a[kk][ty * TM + i];
      [[unroll]] for (uint j = 0; j < TN; ++j) bv[j] = s_b[kk][tx + 16u * j];
      [[unroll]] for (uint i = 0; i < TM; ++i)
        [[unroll]] for (uint j = 0; j < TN; ++j) acc[i][j] += av[i] * bv[j];
    }
    barrier();
  }
  [[unroll]] for (uint i = 0; i < TM; ++i) {
    const uint gr = row0 + ty * TM + i;
    if (gr >= p.m) continue;
    [[unroll]] for (uint j = 0; j < TN; ++j) {
      const uint gc = col0 + tx + 16u * j;
      if (gc < p.n) {
        float v = acc[i][j];
        if (p.has_bias != 0u) v += float(bias[gc]);
        c[c_off + gr * p.n + gc] = float16_t(v);
      }
    }
  }
}
