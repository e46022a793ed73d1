#version 450
#extension GL_GOOGLE_include_directive : require
// y = a op b with NumPy broadcasting. The host coalesces dims and passes, per output dim, the
// element strides of a and b (0 where that operand is broadcast). OP: spec constant 0.
#include "common.glsl"
#include "binary_ops.glsl"
layout(local_size_x = 256) in;
layout(constant_id = 0) const uint OP = 0;
layout(binding = 0) readonly buffer A { float16_t a[]; };
layout(binding = 1) readonly buffer B { float16_t b[]; };
layout(binding = 2) writeonly buffer Y { float16_t y[]; };
layout(push_constant) uniform P {
  uint n;
  uint rank;
  uint dims[8];
  uint sa[8];
  uint sb[8];
} p;
void main() {
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += GLOBAL_STRIDE) {
    uint rem = i, ia = 0, ib = 0;
    for (int d = int(p.rank) - 1; d >= 0; --d) {
      const uint c = rem % p.dims[d];
      rem /= p.dims[d];
      ia += c * p.sa[d];
      ib += c * p.sb[d];
    }
    y[i] = float16_t(binary_op(OP, float(a[ia]), float(b[ib])));
  }
}
