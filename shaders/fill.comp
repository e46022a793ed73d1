#version 450
#extension GL_GOOGLE_include_directive : require
// y[i] = value for i < n.
#include "common.glsl"
layout(local_size_x = 256) in;
layout(binding = 0) writeonly buffer Y { float16_t y[]; };
layout(push_constant) uniform P { uint n; float value; } p;
void main() {
  const float16_t v = float16_t(p.value);
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += GLOBAL_STRIDE) y[i] = v;
}
