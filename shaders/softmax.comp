#version 450
#extension GL_GOOGLE_include_directive : require
// Softmax of x viewed as [outer, R, inner] over R, in f32: max, sum of exp, then normalise.
// ROW (spec 0 = 1, inner == 1): one workgroup per row with shared-memory reductions;
// otherwise one invocation per (outer, inner) column.
#include "common.glsl"
layout(local_size_x = 256) in;
layout(constant_id = 0) const uint ROW = 0;
layout(binding = 0) readonly buffer X { float16_t x[]; };
layout(binding = 1) writeonly buffer Y { float16_t y[]; };
layout(push_constant) uniform P { uint outer; uint r; uint inner; } p;

shared float s_red[256];

float wg_reduce(float v, bool is_max) {
  const uint tid = gl_LocalInvocationID.x;
  s_red[tid] = v;
  barrier();
  [[unroll]] for (uint s = 128u; s > 0u; s >>= 1) {
    if (tid < s) s_red[tid] = is_max ? max(s_red[tid], s_red[tid + s]) : s_red[tid] + s_red[tid + s];
    barrier();
  }
  const float out_v = s_red[0];
  barrier();
  return out_v;
}

void main() {
  if (ROW == 1u) {
    const uint tid = gl_LocalInvocationID.x;
    for (uint row = gl_WorkGroupID.x; row < p.outer; row += gl_NumWorkGroups.x) {
      const uint base = row * p.r;
      float m = -kInf;
      for (uint k = tid; k < p.r; k += 256u) m = max(m, float(x[base + k]));
      m = wg_reduce(m, true);
      float s = 0.0;
      for (uint k = tid; k < p.r; k += 256u) s += exp(float(x[base + k]) - m);
      s = wg_reduce(s, false);
      const float inv = 1.0 / s;
      for (uint k = tid; k < p.r; k += 256u) y[base + k] = float16_t(exp(float(x[base + k]) - m) * inv);
    }
  } else {
    const uint n = p.outer * p.inner;
    for (uint o = gl_GlobalInvocationID.x; o < n; o += GLOBAL_STRIDE) {
      const uint base = (o / p.inner) * p.r * p.inner + o % p.inner;
      float m = -kInf;
      for (uint k = 0; k < p.r; ++k) m = max(m, float(x[base + k * p.inner]));
      float s = 0.0;
      for (uint k = 0; k < p.r; ++k) s += exp(float(x[base + k * p.inner]) - m);
      const float inv = 1.0 / s;
      for (uint k = 0; k < p.r; ++k)
        y[base + k * p.inner] = float16_t(exp(float(x[base + k * p.inner]) - m) * inv);
    }
  }
}
