#version 450
#extension GL_GOOGLE_include_directive : require
// Strided copy: for every index tuple c of `dims`, dst[dst_base + c.dst_strides] =
// src[src_base + c.src_strides]. Serves permute, slice, concat and broadcast expansion.
#include "common.glsl"
layout(local_size_x = 256) in;
layout(binding = 0) readonly buffer S { float16_t src[]; };
layout(binding = 1) buffer D { float16_t dst[]; };
layout(push_constant) uniform P {
  uint n;
  uint rank;
  uint src_base;
  uint dst_base;
  uint dims[6];
  uint ss[6];
  uint ds[6];
} p;
void main() {
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += GLOBAL_STRIDE) {
    uint rem = i, is = p.src_base, id = p.dst_base;
    for (int d = int(p.rank) - 1; d >= 0; --d) {
      const uint c = rem % p.dims[d];
      rem /= p.dims[d];
      is += c * p.ss[d];
      id += c * p.ds[d];
    }
    dst[id] = src[is];
  }
}
