#version 450
#extension GL_GOOGLE_include_directive : require
// y = a op s (or s op a when scalar_on_left != 0); s is used in f32. OP: spec constant 0.
#include "common.glsl"
#include "binary_ops.glsl"
layout(local_size_x = 256) in;
layout(constant_id = 0) const uint OP = 0;
layout(binding = 0) readonly buffer A { float16_t a[]; };
layout(binding = 1) writeonly buffer Y { float16_t y[]; };
layout(push_constant) uniform P { uint n; float s; uint scalar_on_left; } p;
void main() {
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += GLOBAL_STRIDE) {
    const float v = float(a[i]);
    y[i] = float16_t(p.scalar_on_left != 0u ? binary_op(OP, p.s, v) : binary_op(OP, v, p.s));
  }
}
