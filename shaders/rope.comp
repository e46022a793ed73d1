#version 450
#extension GL_GOOGLE_include_directive : require
// RoPE on x [T, H, hd]: each pair (a, b) of a head is rotated by its angle at position t, in f32:
// y[a] = x[a] cos - x[b] sin, y[b] = x[a] sin + x[b] cos. MODE 0 (norm): pairs (2i, 2i+1);
// MODE 1 (neox): (i, i + hd/2). cs [T, hd] holds cos, sin of each angle, computed on the host by
// vm/tensor/llm.h's rope_angles (llama.cpp's f32 recurrence), so both backends use the same angles
// (a GPU's sin/cos of a large angle would not be accurate enough). One invocation per pair.
#include "common.glsl"
layout(local_size_x = 256) in;
layout(constant_id = 0) const uint MODE = 0;
layout(binding = 0) readonly buffer X { float16_t x[]; };
layout(binding = 1) readonly buffer C { float cs[]; };
layout(binding = 2) writeonly buffer Y { float16_t y[]; };
layout(push_constant) uniform P { uint pairs; uint h; uint hd; } p;
void main() {
  const uint half_ = p.hd / 2u;
  for (uint k = gl_GlobalInvocationID.x; k < p.pairs; k += GLOBAL_STRIDE) {
    const uint i = k % half_, head = k / half_, t = head / p.h;
    const uint base = head * p.hd;
    const uint a = base + (MODE == 0u ? 2u * i : i), b = base + (MODE == 0u ? 2u * i + 1u : i + half_);
    const float c = cs[t * p.hd + 2u * i], s = cs[t * p.hd + 2u * i + 1u];
    const float x0 = float(x[a]), x1 = float(x[b]);
    y[a] = float16_t(x0 * c - x1 * s);
    y[b] = float16_t(x0 * s + x1 * c);
  }
}
