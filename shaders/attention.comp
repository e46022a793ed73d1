#version 450
#extension GL_GOOGLE_include_directive : require
// Fused causal attention with grouped-query heads over a KV cache, in f32:
//   y[t, h] = softmax_r(q[t, h] . k[r, g] * scale) @ v[:, g],  r = 0 .. start + t,  g = h / (H / Hkv)
// One workgroup of 64 per (t, h) (grid-stride over workgroups). Keys go in chunks of 64: each
// invocation scores one key, the chunk's max and sum are reduced in shared memory, and the running
// (max, sum, output) are rescaled online (flash attention), so no score buffer is needed for any
// context length. Invocation i accumulates output dims i, i + 64, ... (hd <= 256).
#include "common.glsl"
layout(local_size_x = 64) in;
layout(binding = 0) readonly buffer Q { float16_t q[]; };
layout(binding = 1) readonly buffer K { float16_t k[]; };
layout(binding = 2) readonly buffer V { float16_t v[]; };
layout(binding = 3) writeonly buffer Y { float16_t y[]; };
layout(push_constant) uniform P { uint t; uint h; uint hd; uint hkv; uint start; float scale; } p;

shared float s_q[256];
shared float s_p[64];
shared float s_red[64];

float wg_reduce(float x, bool is_max) {
  const uint tid = gl_LocalInvocationID.x;
  s_red[tid] = x;
  barrier();
  [[unroll]] for (uint s = 32u; s > 0u; s >>= 1) {
    if (tid < s) s_red[tid] = is_max ? max(s_red[tid], s_red[tid + s]) : s_red[tid] + s_red[tid + s];
    barrier();
  }
  const float r = s_red[0];
  barrier();
  return r;
}

void main() {
  const uint tid = gl_LocalInvocationID.x;
  const uint group = p.h / p.hkv;
  for (uint task = gl_WorkGroupID.x; task < p.t * p.h; task += gl_NumWorkGroups.x) {
    const uint t = task / p.h, h = task % p.h, g = h / group;
    const uint n = p.start + t + 1u;
    const uint qbase = task * p.hd;
    for (uint i = tid; i < p.hd; i += 64u) s_q[i] = float(q[qbase + i]);
    barrier();
    float m = -kInf, l = 0.0;
    float acc[4] = float[4](0.0, 0.0, 0.0, 0.0);
    for (uint r0 = 0u; r0 < n; r0 += 64u) {
      const uint r = r0 + tid;
      float sc = -kInf;
      if (r < n) {
        const uint kb = (r * p.hkv + g) * p.hd;
        float dot = 0.0;
        for (uint i = 0u; i < p.hd; ++i) dot += s_q[i] * float(k[kb + i]);
        sc = dot * p.scale;
      }
      const float new_m = max(m, wg_reduce(sc, true));
      const float pr = r < n ? exp(sc - new_m) : 0.0;
      s_p[tid] = pr;
      const float corr = exp(m - new_m);
      l = l * corr + wg_reduce(pr, false);  // its barriers also publish s_p
      m = new_m;
      const uint cnt = min(64u, n - r0);
      [[unroll]] for (uint j = 0u; j < 4u; ++j) {
        const uint d = tid + 64u * j;
        if (d >= p.hd) break;
        float a = acc[j] * corr;
        for (uint rr = 0u; rr < cnt; ++rr) a += s_p[rr] * float(v[((r0 + rr) * p.hkv + g) * p.hd + d]);
        acc[j] = a;
      }
      barrier();
    }
    const float inv = 1.0 / l;
    [[unroll]] for (uint j = 0u; j < 4u; ++j) {
      const uint d = tid + 64u * j;
      if (d < p.hd) y[qbase + d] = float16_t(acc[j] * inv);
    }
    barrier();
  }
}
