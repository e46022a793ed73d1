#version 450
#extension GL_GOOGLE_include_directive : require
// Quantized blocks -> f16, one invocation per element. Spec constants: ggml type id, elements
// and bytes per block (all from vm/core/dtype.def).
#include "common.glsl"
layout(local_size_x = 256) in;
layout(constant_id = 0) const uint QTYPE = 2;
layout(constant_id = 1) const uint BLOCK_ELEMS = 32;
layout(constant_id = 2) const uint BLOCK_BYTES = 18;
layout(binding = 0) readonly buffer Q { uint8_t qb[]; };
layout(binding = 1) writeonly buffer Y { float16_t y[]; };
layout(push_constant) uniform P { uint n; } p;
#include "quant.glsl"
void main() {
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += GLOBAL_STRIDE)
    y[i] = float16_t(dequant(QTYPE, (i / BLOCK_ELEMS) * BLOCK_BYTES, i % BLOCK_ELEMS));
}
