#version 450
#extension GL_GOOGLE_include_directive : require
// argmax / argmin of x viewed as [outer, R, inner] over R, as exact uint indices (never f16):
// y[o, i] = index of the max (OP 0) or min (OP 1) of x[o, :, i]; ties -> the first index, a NaN
// wins (the first NaN), as NumPy. ROW (spec 1 = 1, inner == 1): one workgroup per row with a
// shared-memory tree; otherwise one invocation per output walking R.
#include "common.glsl"
layout(local_size_x = 256) in;
layout(constant_id = 0) const uint OP = 0;
layout(constant_id = 1) const uint ROW = 0;
layout(binding = 0) readonly buffer X { float16_t x[]; };
layout(binding = 1) writeonly buffer Y { uint y[]; };
layout(push_constant) uniform P { uint outer; uint r; uint inner; } p;

shared float s_val[256];
shared uint s_idx[256];

// (acc, ai) := the better of itself and (v, i); ai == ~0u is "nothing yet".
void combine(inout float acc, inout uint ai, float v, uint i) {
  if (i == 0xffffffffu) return;
  if (ai == 0xffffffffu) {
    acc = v;
    ai = i;
    return;
  }
  const bool acc_nan = isnan(acc), v_nan = isnan(v);
  bool take;
  if (acc_nan || v_nan)
    take = v_nan && (!acc_nan || i < ai);
  else if (v == acc)
    take = i < ai;
  else
    take = OP == 0u ? v > acc : v < acc;
  if (take) {
    acc = v;
    ai = i;
  }
}

void main() {
  if (ROW == 1u) {
    const uint tid = gl_LocalInvocationID.x;
    for (uint row = gl_WorkGroupID.x; row < p.outer; row += gl_NumWorkGroups.x) {
      float acc = 0.0;
      uint ai = 0xffffffffu;
      const uint base = row * p.r;
      for (uint k = tid; k < p.r; k += 256u) combine(acc, ai, float(x[base + k]), k);
      s_val[tid] = acc;
      s_idx[tid] = ai;
      barrier();
      [[unroll]] for (uint s = 128u; s > 0u; s >>= 1) {
        if (tid < s) {
          float a = s_val[tid];
          uint i = s_idx[tid];
          combine(a, i, s_val[tid + s], s_idx[tid + s]);
          s_val[tid] = a;
          s_idx[tid] = i;
        }
        barrier();
      }
      if (tid == 0u) y[row] = s_idx[0];
      barrier();
    }
  } else {
    const uint n = p.outer * p.inner;
    for (uint o = gl_GlobalInvocationID.x; o < n; o += GLOBAL_STRIDE) {
      const uint base = (o / p.inner) * p.r * p.inner + o % p.inner;
      float acc = 0.0;
      uint ai = 0xffffffffu;
      for (uint k = 0; k < p.r; ++k) combine(acc, ai, float(x[base + k * p.inner]), k);
      y[o] = ai;
    }
  }
}
