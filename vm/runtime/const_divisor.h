// The remainder by a divisor known when the module loads (MODK's constant): one multiply by a
// precomputed reciprocal and one high multiply, instead of a 64-bit division whose latency is
// most of a loop like `s = (s + i * 3) % 1000003`. Compilers do the same for a literal divisor.
// Method: Lemire, Kaser and Kurz, "Faster Remainder by Direct Computation" (2019), exact for
// every 32-bit dividend and divisor; larger operands take the division.
#pragma once

#include <cstdint>
#include <limits>

namespace tl {

class ConstDivisor {
 public:
  ConstDivisor() = default;
  // Usable for 2 <= d < 2^32; for any other d, floored_mod declines every dividend.
  explicit ConstDivisor(int64_t d) {
    if (d >= 2 && d <= int64_t{std::numeric_limits<uint32_t>::max()}) {
      d_ = static_cast<uint64_t>(d);
      reciprocal_ = std::numeric_limits<uint64_t>::max() / d_ + 1;  // ceil(2^64 / d)
    }
  }

  // x mod d floored (the sign of d, as Python's %), when |x| < 2^32 and d was usable.
  bool floored_mod(int64_t x, int64_t& out) const {
    const uint64_t magnitude =
        x < 0 ? uint64_t{0} - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
    if (reciprocal_ == 0 || magnitude > std::numeric_limits<uint32_t>::max()) return false;
    const uint64_t fraction = reciprocal_ * magnitude;  // the fractional part of x / d, in 2^-64ths
    uint64_t r = static_cast<uint64_t>((static_cast<unsigned __int128>(fraction) * d_) >> 64);
    if (x < 0 && r != 0) r = d_ - r;
    out = static_cast<int64_t>(r);
    return true;
  }

 private:
  uint64_t reciprocal_ = 0;  // 0: not usable
  uint64_t d_ = 0;
};

}  // namespace tl
