#version 450
#extension GL_GOOGLE_include_directive : require
// Matrix-vector products for CPU-type Vulkan devices (lavapipe); same bindings and push
// constants as matvec.comp. As in matmul_reg.comp: no barriers, the activation x is read with
// loads uniform across the workgroup, and each lane reads its own weights with wide loads.
// MODE (spec 0): 0 f16 rows  y[r, n] = x[r, :] . W[n, :]   lane = n, 8 halves per load (K % 8 == 0)
//                1 f16 cols  y[r, n] = x[r, :] . W[:, n]   lane = 8 columns (N % 8 == 0)
//                2 Q4_0 rows, 3 Q8_0 rows: blocks read as aligned 32-bit words (gathers; 8- and
//                16-bit loads would be per-lane loops), dequantized in registers.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint MODE = 0;
const uint RN = 4;  // rows of W per lane in the "rows" modes (the host's kMatvecCpuRows)
layout(binding = 0) readonly buffer X { uvec4 x4[]; };
layout(binding = 1) readonly buffer W { uvec4 w4[]; };
layout(binding = 1) readonly buffer W32 { uint w32[]; };
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
  // Each lane owns RN rows of W (n, n + 64, ...): every x value converted to f32 feeds RN FMAs.
  uint nrow[RN];
  [[unroll]] for (uint i = 0; i < RN; ++i)
    nrow[i] = min(gl_WorkGroupID.x * (64u * RN) + gl_LocalInvocationID.x + 64u * i, p.n - 1u);
  float acc[RN];
  [[unroll]] for (uint i = 0; i < RN; ++i) acc[i] = 0.0;
  if (MODE == 0u) {
    for (uint kc = 0; kc < k8; ++kc) {
      float xv[8];
      unpack8(x4[xb + kc], xv);
      [[unroll]] for (uint i = 0; i < RN; ++i) {
        float wv[8];
        unpack8(w4[nrow[i] * k8 + kc], wv);
        [[unroll]] for (uint t = 0; t < 8; ++t) acc[i] += xv[t] * wv[t];
      }
    }
  } else {
    const uint bbytes = MODE == 2u ? 18u : 34u;
    const uint nb = p.k / 32u;
    const uint last = w32.length() - 1u;
    for (uint blk = 0; blk < nb; ++blk) {
      float xv[32];
      [[unroll]] for (uint c = 0; c < 4; ++c) {
        float t8[8];
        unpack8(x4[xb + blk * 4u + c], t8);
        [[unroll]] for (uint t = 0; t < 8; ++t) xv[c * 8u + t] = t8[t];
      }
      [[unroll]] for (uint r_ = 0; r_ < RN; ++r_) {
        // Blocks start on 2-byte boundaries: read aligned words, shift by 16 bits when odd.
        const uint start = (nrow[r_] * nb + blk) * bbytes;
        const uint dw = start / 4u;
        const bool odd = (start & 2u) != 0u;
        uint bw[9];
        [[unroll]] for (uint i = 0; i < (MODE == 2u ? 5u : 9u); ++i) {
          const uint lo = w32[min(dw + i, last)], hi = w32[min(dw + i + 1u, last)];
          bw[i] = odd ? (lo >> 16) | (hi << 16) : lo;
        }
        const float d = unpackHalf2x16(bw[0]).x;
        float s = 0.0;
        if (MODE == 2u) {
          [[unroll]] for (uint i = 0; i < 16; ++i) {
            const uint q = (bw[(2u + i) / 4u] >> (8u * ((2u + i) % 4u))) & 0xFFu;
            s += float(int(q & 0xFu) - 8) * xv[i] + float(int(q >> 4) - 8) * xv[i + 16u];
          }
        } else {
          [[unroll]] for (uint i = 0; i < 32; ++i)
            s += float(bitfieldExtract(int(bw[(2u + i) / 4u]), int(8u * ((2u + i) % 4u)), 8)) * xv[i];
        }
        acc[r_] += d * s;
      }
    }
  }
  [[unroll]] for (uint i = 0; i < RN; ++i) {
    const uint n = gl_WorkGroupID.x * (64u * RN) + gl_LocalInvocationID.x + 64u * i;
    if (n < p.n) store(r, n, acc[i]);
  }
}
