#version 450
#extension GL_GOOGLE_include_directive : require
// Reduction of x viewed as [outer, R, inner] over R: y[o, i] = op_r x[o, r, i].
// ROW (spec 1 = 1, inner == 1): one workgroup per output row, tree reduction in shared memory.
// Otherwise one invocation per output, walking R (reads are contiguous across invocations).
// OP (spec 0): the ReduceOp order in backend.h: 0 sum, 1 mean, 2 max, 3 min (argmax and argmin
// are argreduce.comp).
#include "common.glsl"
layout(local_size_x = 256) in;
layout(constant_id = 0) const uint OP = 0;
layout(constant_id = 1) const uint ROW = 0;
layout(binding = 0) readonly buffer X { float16_t x[]; };
layout(binding = 1) writeonly buffer Y { float16_t y[]; };
layout(push_constant) uniform P { uint outer; uint r; uint inner; } p;

shared float s_val[256];

void combine(inout float acc, float v) {
  if (OP == 0u || OP == 1u) {
    acc += v;
  } else if (OP == 2u) {
    acc = (isnan(v) || isnan(acc)) ? (0.0 / 0.0) : max(acc, v);
  } else {
    acc = (isnan(v) || isnan(acc)) ? (0.0 / 0.0) : min(acc, v);
  }
}
float identity() { return OP <= 1u ? 0.0 : (OP == 3u ? kInf : -kInf); }
float16_t result(float acc) {
  if (OP == 1u) return float16_t(acc / float(p.r));
  return float16_t(acc);
}

void main() {
  if (ROW == 1u) {
    const uint tid = gl_LocalInvocationID.x;
    for (uint row = gl_WorkGroupID.x; row < p.outer; row += gl_NumWorkGroups.x) {
      float acc = identity();
      const uint base = row * p.r;
      for (uint k = tid; k < p.r; k += 256u) combine(acc, float(x[base + k]));
      s_val[tid] = acc;
      barrier();
      [[unroll]] for (uint s = 128u; s > 0u; s >>= 1) {
        if (tid < s) {
          float a = s_val[tid];
          combine(a, s_val[tid + s]);
          s_val[tid] = a;
        }
        barrier();
      }
      if (tid == 0u) y[row] = result(s_val[0]);
      barrier();
    }
  } else {
    const uint n = p.outer * p.inner;
    for (uint o = gl_GlobalInvocationID.x; o < n; o += GLOBAL_STRIDE) {
      const uint oi = o / p.inner, ii = o % p.inner;
      const uint base = oi * p.r * p.inner + ii;
      float acc = identity();
      for (uint k = 0; k < p.r; ++k) combine(acc, float(x[base + k * p.inner]));
      y[o] = result(acc);
    }
  }
}
