#version 450
#extension GL_GOOGLE_include_directive : require
// y = op(x), element-wise. OP: a UnaryOp code (specialisation constant 0).
#include "common.glsl"
#include "unary_ops.glsl"
layout(local_size_x = 256) in;
layout(constant_id = 0) const uint OP = 0;
layout(binding = 0) readonly buffer X { float16_t x[]; };
layout(binding = 1) writeonly buffer Y { float16_t y[]; };
layout(push_constant) uniform P { uint n; } p;
void main() {
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += GLOBAL_STRIDE)
    y[i] = float16_t(unary_op(OP, float(x[i])));
}
