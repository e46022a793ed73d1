// IEEE 754 binary16 ("half") conversions: the one place the project rounds to f16.
//
// Rounding is to nearest, ties to even, as NumPy's astype(float16); values beyond the f16 range
// become +-inf, NaN stays NaN (quiet). f64 is rounded directly to f16, never through f32: the
// double rounding f64 -> f32 -> f16 gives a different answer for some inputs.
// Bulk, vectorised versions live in vm/cpu/convert.h and must agree bit for bit with these.
#pragma once

#include <bit>
#include <cstdint>

namespace tl {

using f16_bits = uint16_t;

inline float f16_to_f32(f16_bits h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    int e = -1;
    do {
      ++e;
      mant <<= 1;
    } while ((mant & 0x400u) == 0);
    bits = sign | (static_cast<uint32_t>(112 - e) << 23) | ((mant & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

namespace detail {
// Rounds a value given as sign, unbiased exponent and a mantissa with `frac_bits` fraction bits
// (implicit leading one included at bit `frac_bits`) to binary16, nearest-even.
inline f16_bits round_to_f16(uint32_t sign, int exp, uint64_t mant, int frac_bits) {
  // Normal f16: exp in [-14, 15], 10 fraction bits.
  int shift;
  uint32_t out_exp;
  if (exp >= -14) {
    shift = frac_bits - 10;
    out_exp = static_cast<uint32_t>(exp + 15);
  } else {
    // Subnormal: value = mant * 2^(exp - frac_bits); f16 subnormal unit is 2^-24.
    shift = frac_bits - 10 + (-14 - exp);
    out_exp = 0;
    if (shift > 63) return static_cast<f16_bits>(sign);
  }
  uint64_t q = mant >> shift;
  const uint64_t rem = mant & ((uint64_t{1} << shift) - 1);
  const uint64_t half = uint64_t{1} << (shift - 1);
  if (rem > half || (rem == half && (q & 1))) ++q;
  // q may have carried into the next binade; the encoding below absorbs it naturally because
  // (out_exp << 10) + q adds the carry into the exponent field.
  uint32_t result;
  if (out_exp == 0) {
    result = static_cast<uint32_t>(q);  // may become the smallest normal, which is correct
  } else {
    result = (out_exp << 10) + static_cast<uint32_t>(q - 0x400u);
  }
  if (result >= 0x7c00u) result = 0x7c00u;  // overflow to inf
  return static_cast<f16_bits>(sign | result);
}
}  // namespace detail

inline f16_bits f32_to_f16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const uint32_t exp = (bits >> 23) & 0xffu;
  const uint32_t mant = bits & 0x7fffffu;
  if (exp == 0xff) return static_cast<f16_bits>(sign | 0x7c00u | (mant ? 0x200u : 0u));
  if (exp == 0) return static_cast<f16_bits>(sign);  // f32 subnormals are far below f16's range
  const int e = static_cast<int>(exp) - 127;
  if (e > 15) return static_cast<f16_bits>(sign | 0x7c00u);
  if (e < -26) return static_cast<f16_bits>(sign);
  return detail::round_to_f16(sign, e, mant | 0x800000u, 23);
}

inline f16_bits f64_to_f16(double d) {
  const uint64_t bits = std::bit_cast<uint64_t>(d);
  const uint32_t sign = static_cast<uint32_t>(bits >> 48) & 0x8000u;
  const uint32_t exp = static_cast<uint32_t>(bits >> 52) & 0x7ffu;
  const uint64_t mant = bits & ((uint64_t{1} << 52) - 1);
  if (exp == 0x7ff) return static_cast<f16_bits>(sign | 0x7c00u | (mant ? 0x200u : 0u));
  if (exp == 0) return static_cast<f16_bits>(sign);
  const int e = static_cast<int>(exp) - 1023;
  if (e > 15) return static_cast<f16_bits>(sign | 0x7c00u);
  if (e < -26) return static_cast<f16_bits>(sign);
  return detail::round_to_f16(sign, e, mant | (uint64_t{1} << 52), 52);
}

// bfloat16 is the top half of an f32: widening is exact.
inline float bf16_to_f32(uint16_t b) {
  return std::bit_cast<float>(static_cast<uint32_t>(b) << 16);
}

// Round to nearest even f32 -> bf16 (used by tests and writers; NaN kept quiet).
inline uint16_t f32_to_bf16(float f) {
  uint32_t bits = std::bit_cast<uint32_t>(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

// The f16 value nearest to an f32, as an f32: what a value looks like after f16 storage.
inline float round_through_f16(float f) {
  return f16_to_f32(f32_to_f16(f));
}

}  // namespace tl
