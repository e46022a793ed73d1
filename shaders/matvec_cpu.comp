#version 450
#extension GL_GOOGLE_include_directive : require
// Matrix-vector products for CPU-type Vulkan devices (lavapipe); same bindings and push
// constants as matvec.comp. As in matmul_reg.comp: no barriers, the activation x is read with
// loads uniform across the workgroup, and each lane reads its own weights with wide loads.
// MODE (spec 0): 0 f16 rows  y[r, n] = x[r, :] . W[n, :]   lane = n, 8 halves per load (K % 8 == 0)
//                1 f16 cols  y[r, n] = x[r, :] . W[:, n]   lane = 8 columns (N % 8 == 0)
//                2 Q4_0 rows, 3 Q8_0 rows: blocks read as 16-bit words, dequantized in registers.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint MODE = 0;
layout(binding = 0) readonly buffer X { uvec4 x4[]; };
layout(binding = 1) readonly buffer W { uvec4 w4[]; };
layout(binding = 1) readonly buffer W16 { uint16_t w16[]; };
layout(binding = 2) readonly buffer Bias { float16_t bias[]; };
layout(binding = 3) writeonly buffer Y { float16_t y[]; };
layout(push_constant) uniform P { uint n; uint k; uint rows; uint has_bias; } p;

void unpack8(uvec4 v, out float f[8]) {
  [[unroll]] for (uint i = 0; i < 4; ++i) {
    const vec2 h = unpackHalf2x16(v[i]);
    f[2 * i] = h.x;
    f[2 * i + 1] = h.y;
  }
}

void store(uint r, uint n, float acc) {
  if (p.has_bias != 0u) acc += float(bias[n]);
  y[r * p.n + n] = float16_t(acc);
}

void main() {
  const uint r = gl_WorkGroupID.y;
  const uint k8 = p.k / 8u;
  const uint xb = r * k8;
  if (MODE == 1u) {
    const uint n8 = gl_GlobalInvocationID.x;
    if (n8 * 8u >= p.n) return;
    float acc[8];
    [[unroll]] for (uint j = 0; j < 8; ++j) acc[j] = 0.0;
    for (uint kc = 0; kc < k8; ++kc) {
      float xv[8];
      unpack8(x4[xb + kc], xv);
      [[unroll]] for (uint t = 0; t < 8; ++t) {
        float wv[8];
        unpack8(w4[(kc * 8u + t) * (p.n / 8u) + n8], wv);
        [[unroll]] for (uint j = 0; j < 8; ++j) acc[j] += xv[t] * wv[j];
      }
    }
    [[unroll]] for (uint j = 0; j < 8; ++j) store(r, n8 * 8u + j, acc[j]);
    return;
  }
  const uint n = gl_GlobalInvocationID.x;
  if (n >= p.n) return;
  float acc = 0.0;
  if (MODE == 0u) {
    const uint wb = n * k8;
    for (uint kc = 0; kc < k8; ++kc) {
      float xv[8], wv[8];
      unpack8(x4[xb + kc], xv);
      unpack8(w4[wb + kc], wv);
      [[unroll]] for (uint t = 0; t < 8; ++t) acc += xv[t] * wv[t];
    }
  } else {
    const uint words = MODE == 2u ? 9u : 17u;  // block bytes / 2
    const uint nb = p.k / 32u;
    for (uint blk = 0; blk < nb; ++blk) {
      float xv[32];
      [[unroll]] for (uint c = 0; c < 4; ++c) {
        float t8[8];
        unpack8(x4[xb + blk * 4u + c], t8);
        [[unroll]] for (uint t = 0; t < 8; ++t) xv[c * 8u + t] = t8[t];
      }
      const uint base = (n * nb + blk) * words;
      const float d = unpackHalf2x16(uint(w16[base])).x;
      float s = 0.0;
      if (MODE == 2u) {
        [[unroll]] for (uint i = 0; i < 8; ++i) {
          const uint q = uint(w16[base + 1u + i]);
          s += float(int(q & 0xFu) - 8) * xv[2u * i] + float(int((q >> 8) & 0xFu) - 8) * xv[2u * i + 1u] +
               float(int((q >> 4) & 0xFu) - 8) * xv[2u * i + 16u] + float(int(q >> 12) - 8) * xv[2u * i + 17u];
        }
      } else {
        [[unroll]] for (uint i = 0; i < 16; ++i) {
          const uint q = uint(w16[base + 1u + i]);
          s += float(bitfieldExtract(int(q), 0, 8)) * xv[2u * i] +
               float(bitfieldExtract(int(q), 8, 8)) * xv[2u * i + 1u];
        }
      }
      acc += d * s;
    }
  }
  store(r, n, acc);
}
