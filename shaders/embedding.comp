#version 450
#extension GL_GOOGLE_include_directive : require
// Embedding lookup: y[t, d] = table[ids[t], d] for a [V, D] table stored as F16 (QTYPE 1) or in a
// ggml block format (dequantized element by element, exactly as ggml: quant.glsl). Only the rows
// named by ids are read. One invocation per output element; ids were range-checked on the host.
#include "common.glsl"
layout(local_size_x = 256) in;
layout(constant_id = 0) const uint QTYPE = 1;
layout(constant_id = 1) const uint BLOCK_ELEMS = 1;
layout(constant_id = 2) const uint BLOCK_BYTES = 2;
layout(binding = 0) readonly buffer Q { uint8_t qb[]; };
layout(binding = 1) readonly buffer I { uint ids[]; };
layout(binding = 2) writeonly buffer Y { float16_t y[]; };
layout(push_constant) uniform P { uint n; uint d; uint row_bytes; } p;
#include "quant.glsl"
void main() {
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += GLOBAL_STRIDE) {
    const uint t = i / p.d, j = i % p.d;
    const uint row = ids[t] * p.row_bytes;
    if (QTYPE == 1u)
      y[i] = float16_t(qhalf(row + 2u * j));
    else
      y[i] = float16_t(dequant(QTYPE, row + (j / BLOCK_ELEMS) * BLOCK_BYTES, j % BLOCK_ELEMS));
  }
}
