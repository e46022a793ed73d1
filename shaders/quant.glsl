// ggml block formats, element by element, exactly as ggml-quants.c's dequantize_row_* (f32).
// The including shader declares `readonly buffer ... { uint8_t qb[]; }` and the spec constant
// QTYPE (ggml type id, from vm/core/dtype.def). Block layouts are ggml's (ggml-common.h).

uint qbyte(uint at) { return uint(qb[at]); }
float qhalf(uint at) { return unpackHalf2x16(qbyte(at) | (qbyte(at + 1u) << 8)).x; }
int qi8(uint at) { return int(int8_t(qb[at])); }

// Q4_K / Q5_K: 6-bit scale and min number j of the 12 packed bytes at `s`.
void scale_min_k4(uint j, uint s, out float sc, out float mn) {
  if (j < 4u) {
    sc = float(qbyte(s + j) & 63u);
    mn = float(qbyte(s + j + 4u) & 63u);
  } else {
    sc = float((qbyte(s + j + 4u) & 0xFu) | ((qbyte(s + j - 4u) >> 6) << 4));
    mn = float((qbyte(s + j + 4u) >> 4) | ((qbyte(s + j) >> 6) << 4));
  }
}

// Element j of the block starting at byte b.
float dequant(uint qtype, uint b, uint j) {
  if (qtype == 2u) {  // Q4_0: d, qs[16]
    const uint q = qbyte(b + 2u + (j & 15u));
    return float(int(j < 16u ? (q & 0xFu) : (q >> 4)) - 8) * qhalf(b);
  }
  if (qtype == 3u) {  // Q4_1: d, m, qs[16]
    const uint q = qbyte(b + 4u + (j & 15u));
    return float(j < 16u ? (q & 0xFu) : (q >> 4)) * qhalf(b) + qhalf(b + 2u);
  }
  if (qtype == 6u || qtype == 7u) {  // Q5_0: d, qh[4], qs[16]; Q5_1: d, m, qh[4], qs[16]
    const uint h = qtype == 6u ? 2u : 4u;
    const uint qh = qbyte(b + h) | (qbyte(b + h + 1u) << 8) | (qbyte(b + h + 2u) << 16) |
                    (qbyte(b + h + 3u) << 24);
    const uint q = qbyte(b + h + 4u + (j & 15u));
    const uint v = (j < 16u ? (q & 0xFu) : (q >> 4)) | (((qh >> j) & 1u) << 4);
    return qtype == 6u ? float(int(v) - 16) * qhalf(b) : float(v) * qhalf(b) + qhalf(b + 2u);
  }
  if (qtype == 8u) return float(qi8(b + 2u + j)) * qhalf(b);  // Q8_0: d, qs[32]
  if (qtype == 9u) return float(qi8(b + 4u + j)) * qhalf(b);  // Q8_1: d, s, qs[32]
  if (qtype == 10u) {  // Q2_K: scales[16], qs[64], d, dmin
    const uint n = j / 128u, jj = (j % 128u) / 32u, half_ = (j % 32u) / 16u, l = j % 16u;
    const uint sc = qbyte(b + n * 8u + jj * 2u + half_);
    const uint q = (qbyte(b + 16u + n * 32u + half_ * 16u + l) >> (2u * jj)) & 3u;
    return qhalf(b + 80u) * float(sc & 0xFu) * float(q) - qhalf(b + 82u) * float(sc >> 4);
  }
  if (qtype == 11u) {  // Q3_K: hmask[32], qs[64], scales[12], d
    const uint n = j / 128u, jj = (j % 128u) / 32u, half_ = (j % 32u) / 16u, l = j % 16u;
    const uint i = n * 8u + jj * 2u + half_;
    const uint lo = i < 8u ? (qbyte(b + 96u + i) & 0xFu) : (qbyte(b + 96u + i - 8u) >> 4);
    const uint hi = (qbyte(b + 96u + 8u + (i % 4u)) >> (2u * (i / 4u))) & 3u;
    const int sc = int(lo | (hi << 4)) - 32;
    const int q = int((qbyte(b + 32u + n * 32u + half_ * 16u + l) >> (2u * jj)) & 3u);
    const bool hbit = (qbyte(b + half_ * 16u + l) & (1u << (n * 4u + jj))) != 0u;
    return qhalf(b + 108u) * float(sc) * float(q - (hbit ? 0 : 4));
  }
  if (qtype == 12u || qtype == 13u) {  // Q4_K: d, dmin, scales[12], qs[128]; Q5_K: + qh[32]
    const uint c = j / 64u, hi = (j % 64u) / 32u, l = j % 32u;
    float sc, mn;
    scale_min_k4(2u * c + hi, b + 4u, sc, mn);
    const uint qs = qtype == 12u ? 16u : 48u;
    const uint byte_ = qbyte(b + qs + c * 32u + l);
    uint q = hi == 1u ? (byte_ >> 4) : (byte_ & 0xFu);
    if (qtype == 13u && (qbyte(b + 16u + l) & (1u << (2u * c + hi))) != 0u) q += 16u;
    return qhalf(b) * sc * float(q) - qhalf(b + 2u) * mn;
  }
  if (qtype == 14u) {  // Q6_K: ql[128], qh[64], scales[16] (int8), d
    const uint h = j / 128u, qd = (j % 128u) / 32u, l = j % 32u;
    const uint ql = qbyte(b + h * 64u + l + (qd & 1u) * 32u);
    const uint qh = qbyte(b + 128u + h * 32u + l);
    const int q = int(((qd >= 2u) ? (ql >> 4) : (ql & 0xFu)) | (((qh >> (2u * qd)) & 3u) << 4)) - 32;
    return qhalf(b + 208u) * float(qi8(b + 192u + h * 8u + l / 16u + qd * 2u)) * float(q);
  }
  if (qtype == 15u) {  // Q8_K: d (f32), qs[256], bsums
    const uint d = qbyte(b) | (qbyte(b + 1u) << 8) | (qbyte(b + 2u) << 16) | (qbyte(b + 3u) << 24);
    return uintBitsToFloat(d) * float(qi8(b + 4u + j));
  }
  return 0.0 / 0.0;
}
