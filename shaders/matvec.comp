#version 450
#extension GL_GOOGLE_include_directive : require
// Matrix-vector products for a few rows of x (decode-time linear layers), f32 accumulation.
// MODE (spec 0) 0, "rows": y[r, n] = sum_k x[r, k] * W[n, k] (+ bias[n]); W is [N, K], f16 or a
//   ggml block format (QTYPE, spec 1 = ggml type id; 1 means f16). One workgroup per (n, r):
//   invocations stride over k (contiguous loads), then a subgroup + shared-memory reduction.
// MODE 1, "cols": y[r, n] = sum_k x[r, k] * W[k, n]; one invocation per n, walking k.
#include "common.glsl"
#extension GL_KHR_shader_subgroup_arithmetic : require
layout(local_size_x_id = 3) in;
layout(constant_id = 0) const uint MODE = 0;
layout(constant_id = 1) const uint QTYPE = 1;
layout(constant_id = 2) const uint BLOCK_ELEMS = 1;
layout(constant_id = 4) const uint BLOCK_BYTES = 2;
layout(binding = 0) readonly buffer X { float16_t x[]; };
layout(binding = 1) readonly buffer W { float16_t w[]; };
layout(binding = 1) readonly buffer WQ { uint8_t qb[]; };
layout(binding = 2) readonly buffer Bias { float16_t bias[]; };
layout(binding = 3) writeonly buffer Y { float16_t y[]; };
layout(push_constant) uniform P { uint n; uint k; uint rows; uint has_bias; } p;
#include "quant.glsl"

shared float s_part[32];

void main() {
  const uint wg = gl_WorkGroupSize.x;
  if (MODE == 1u) {
    const uint r = gl_WorkGroupID.y;
    for (uint n = gl_GlobalInvocationID.x; n < p.n; n += gl_NumWorkGroups.x * wg) {
      float acc = 0.0;
      for (uint k = 0; k < p.k; ++k) acc += float(x[r * p.k + k]) * float(w[k * p.n + n]);
      if (p.has_bias != 0u) acc += float(bias[n]);
      y[r * p.n + n] = float16_t(acc);
    }
    return;
  }
  const uint tid = gl_LocalInvocationID.x;
  const uint r = gl_WorkGroupID.y;
  for (uint n = gl_WorkGroupID.x; n < p.n; n += gl_NumWorkGroups.x) {
    float acc = 0.0;
    const uint xb = r * p.k;
    if (QTYPE == 1u) {
      const uint wb = n * p.k;
      for (uint k = tid; k < p.k; k += wg) acc += float(x[xb + k]) * float(w[wb + k]);
    } else {
      const uint row_bytes = (p.k / BLOCK_ELEMS) * BLOCK_BYTES;
      for (uint k = tid; k < p.k; k += wg)
        acc += float(x[xb + k]) *
               dequant(QTYPE, n * row_bytes + (k / BLOCK_ELEMS) * BLOCK_BYTES, k % BLOCK_ELEMS);
    }
    acc = subgroupAdd(acc);
    if (gl_SubgroupInvocationID == 0u) s_part[gl_SubgroupID] = acc;
    barrier();
    if (tid == 0u) {
      float s = 0.0;
      for (uint i = 0; i < gl_NumSubgroups; ++i) s += s_part[i];
      if (p.has_bias != 0u) s += float(bias[n]);
      y[r * p.n + n] = float16_t(s);
    }
    barrier();
  }
}
