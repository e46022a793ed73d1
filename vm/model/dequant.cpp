// Dequantization of ggml block formats, matching ggml's dequantize_row_* (ggml-quants.c) bit for
// bit. Bit-exactness depends on doing the same float operations in the same order: each formula
// below keeps ggml's association (e.g. Q6_K is (d * scale) * q, not d * (scale * q)), and this
// file is compiled with -ffp-contract=off so that no a*b+c becomes a fused multiply-add.
//
// Block layouts (little-endian, byte offsets) follow ggml-common.h; QK_K = 256.
#include "vm/model/dequant.h"

#include <fmt/format.h>

#include <cstring>

#include "vm/core/error.h"
#include "vm/core/half.h"

namespace tl {

namespace {

using u8 = uint8_t;

inline float half_at(const u8* p) {
  f16_bits h;
  std::memcpy(&h, p, 2);
  return f16_to_f32(h);
}

constexpr int kQK = 32;    // elements per block of the 32-element formats
constexpr int kQKK = 256;  // elements per K-quant super-block

// Q4_0: {f16 d; u8 qs[16]}. Low nibbles are elements 0..15, high nibbles 16..31; value (q-8)*d.
void q4_0(const u8* b, float* y) {
  const float d = half_at(b);
  const u8* qs = b + 2;
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = static_cast<float>((qs[j] & 0x0f) - 8) * d;
    y[j + kQK / 2] = static_cast<float>((qs[j] >> 4) - 8) * d;
  }
}

// Q4_1: {f16 d; f16 m; u8 qs[16]}; value q*d + m.
void q4_1(const u8* b, float* y) {
  const float d = half_at(b), m = half_at(b + 2);
  const u8* qs = b + 4;
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = static_cast<float>(qs[j] & 0x0f) * d + m;
    y[j + kQK / 2] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

// The 5th bit of element j (low half) and j+16 (high half) from the 32-bit qh word.
inline int fifth_bit_lo(uint32_t qh, int j) {
  return static_cast<int>((qh >> j) & 1u) << 4;
}
inline int fifth_bit_hi(uint32_t qh, int j) {
  return static_cast<int>((qh >> (j + 16)) & 1u) << 4;
}

// Q5_0: {f16 d; u8 qh[4]; u8 qs[16]}; value (q-16)*d.
void q5_0(const u8* b, float* y) {
  const float d = half_at(b);
  uint32_t qh;
  std::memcpy(&qh, b + 2, 4);
  const u8* qs = b + 6;
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = static_cast<float>(((qs[j] & 0x0f) | fifth_bit_lo(qh, j)) - 16) * d;
    y[j + kQK / 2] = static_cast<float>(((qs[j] >> 4) | fifth_bit_hi(qh, j)) - 16) * d;
  }
}

// Q5_1: {f16 d; f16 m; u8 qh[4]; u8 qs[16]}; value q*d + m.
void q5_1(const u8* b, float* y) {
  const float d = half_at(b), m = half_at(b + 2);
  uint32_t qh;
  std::memcpy(&qh, b + 4, 4);
  const u8* qs = b + 8;
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = static_cast<float>((qs[j] & 0x0f) | fifth_bit_lo(qh, j)) * d + m;
    y[j + kQK / 2] = static_cast<float>((qs[j] >> 4) | fifth_bit_hi(qh, j)) * d + m;
  }
}

// Q8_0: {f16 d; i8 qs[32]}; Q8_1: {f16 d; f16 s; i8 qs[32]} (s, the sum, is unused here).
void q8_x(const u8* b, int qs_at, float* y) {
  const float d = half_at(b);
  const auto* qs = reinterpret_cast<const int8_t*>(b + qs_at);
  for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(qs[j]) * d;
}

// Q2_K: {u8 scales[16]; u8 qs[64]; f16 d; f16 dmin}. 16 groups of 16: scale nibble low, min high.
void q2_k(const u8* b, float* y) {
  const u8* scales = b;
  const u8* q = b + 16;
  const float d = half_at(b + 80), dmin = half_at(b + 82);
  int is = 0;
  for (int half = 0; half < 2; ++half, q += 32) {
    for (int shift = 0; shift < 8; shift += 2) {
      for (int part = 0; part < 2; ++part) {
        const u8 sc = scales[is++];
        const float dl = d * static_cast<float>(sc & 0x0f);
        const float ml = dmin * static_cast<float>(sc >> 4);
        for (int l = 0; l < 16; ++l)
          *y++ = dl * static_cast<float>((q[l + 16 * part] >> shift) & 3) - ml;
      }
    }
  }
}

// Q3_K: {u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d}. 16 six-bit scales (offset by 32): low
// nibbles in bytes 0..7, high 2 bits in bytes 8..11.
void q3_k(const u8* b, float* y) {
  const u8* hm = b;
  const u8* q = b + 32;
  const u8* s = b + 96;
  const float d_all = half_at(b + 108);
  int scale[16];
  for (int j = 0; j < 16; ++j) {
    const int lo = j < 8 ? (s[j] & 0x0f) : (s[j - 8] >> 4);
    const int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    scale[j] = (lo | (hi << 4)) - 32;
  }
  int is = 0;
  u8 m = 1;
  for (int half = 0; half < 2; ++half, q += 32) {
    for (int shift = 0; shift < 8; shift += 2, m = static_cast<u8>(m << 1)) {
      for (int part = 0; part < 2; ++part) {
        const float dl = d_all * static_cast<float>(scale[is++]);
        for (int l = 0; l < 16; ++l) {
          const int i = l + 16 * part;
          const int v = ((q[i] >> shift) & 3) - ((hm[i] & m) ? 0 : 4);
          *y++ = dl * static_cast<float>(v);
        }
      }
    }
  }
}

// The 6-bit scale and min of sub-block j (0..7) packed in 12 bytes (ggml's get_scale_min_k4).
inline void scale_min_k4(int j, const u8* q, u8* sc, u8* mn) {
  if (j < 4) {
    *sc = q[j] & 63;
    *mn = q[j + 4] & 63;
  } else {
    *sc = static_cast<u8>((q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4));
    *mn = static_cast<u8>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// Q4_K: {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}. 8 sub-blocks of 32.
void q4_k(const u8* b, float* y) {
  const float d = half_at(b), dmin = half_at(b + 2);
  const u8* scales = b + 4;
  const u8* q = b + 16;
  for (int is = 0; is < 8; is += 2, q += 32) {
    u8 sc, mn;
    scale_min_k4(is, scales, &sc, &mn);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(mn);
    scale_min_k4(is + 1, scales, &sc, &mn);
    const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(mn);
    for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0x0f) - m1;
    for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
  }
}

// Q5_K: {f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}.
void q5_k(const u8* b, float* y) {
  const float d = half_at(b), dmin = half_at(b + 2);
  const u8* scales = b + 4;
  const u8* qh = b + 16;
  const u8* ql = b + 48;
  u8 u1 = 1, u2 = 2;
  for (int is = 0; is < 8; is += 2, ql += 32) {
    u8 sc, mn;
    scale_min_k4(is, scales, &sc, &mn);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(mn);
    scale_min_k4(is + 1, scales, &sc, &mn);
    const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(mn);
    for (int l = 0; l < 32; ++l)
      *y++ = d1 * static_cast<float>((ql[l] & 0x0f) + ((qh[l] & u1) ? 16 : 0)) - m1;
    for (int l = 0; l < 32; ++l)
      *y++ = d2 * static_cast<float>((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
    u1 = static_cast<u8>(u1 << 2);
    u2 = static_cast<u8>(u2 << 2);
  }
}

// Q6_K: {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}; value (d * scale) * (q - 32).
void q6_k(const u8* b, float* y) {
  const u8* ql = b;
  const u8* qh = b + 128;
  const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
  const float d = half_at(b + 208);
  for (int half = 0; half < 2; ++half, y += 128, ql += 64, qh += 32, sc += 8) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
      y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
      y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
      y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
    }
  }
}

// Q8_K: {f32 d; i8 qs[256]; i16 bsums[16]}; value d*q.
void q8_k(const u8* b, float* y) {
  float d;
  std::memcpy(&d, b, 4);
  const auto* qs = reinterpret_cast<const int8_t*>(b + 4);
  for (int j = 0; j < kQKK; ++j) y[j] = d * static_cast<float>(qs[j]);
}

}  // namespace

void dequantize_row(DType type, const std::byte* src, float* dst, int64_t n) {
  const auto& di = dtype_info(type);
  if (n < 0 || n % di.block_elems != 0)
    throw RuntimeError(
        fmt::format("dequantize_row: {} elements is not a whole number of {} blocks "
                    "of {}",
                    n, di.name, di.block_elems));
  const auto* p = reinterpret_cast<const u8*>(src);
  const int64_t blocks = n / di.block_elems;
  auto each = [&](auto&& fn) {
    for (int64_t i = 0; i < blocks; ++i) fn(p + i * di.block_bytes, dst + i * di.block_elems);
  };
  switch (type) {
    case DType::F32:
      if (n) std::memcpy(dst, src, static_cast<size_t>(n) * 4);
      return;
    case DType::F16:
      for (int64_t i = 0; i < n; ++i) dst[i] = half_at(p + 2 * i);
      return;
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t b;
        std::memcpy(&b, p + 2 * i, 2);
        dst[i] = bf16_to_f32(b);
      }
      return;
    case DType::F64:
      for (int64_t i = 0; i < n; ++i) {
        double v;
        std::memcpy(&v, p + 8 * i, 8);
        dst[i] = static_cast<float>(v);
      }
      return;
    case DType::Q4_0:
      each(q4_0);
      return;
    case DType::Q4_1:
      each(q4_1);
      return;
    case DType::Q5_0:
      each(q5_0);
      return;
    case DType::Q5_1:
      each(q5_1);
      return;
    case DType::Q8_0:
      each([](const u8* b, float* y) { q8_x(b, 2, y); });
      return;
    case DType::Q8_1:
      each([](const u8* b, float* y) { q8_x(b, 4, y); });
      return;
    case DType::Q2_K:
      each(q2_k);
      return;
    case DType::Q3_K:
      each(q3_k);
      return;
    case DType::Q4_K:
      each(q4_k);
      return;
    case DType::Q5_K:
      each(q5_k);
      return;
    case DType::Q6_K:
      each(q6_k);
      return;
    case DType::Q8_K:
      each(q8_k);
      return;
    default:
      break;
  }
  throw RuntimeError(fmt::format("cannot dequantize dtype {}", di.name));
}

}  // namespace tl
