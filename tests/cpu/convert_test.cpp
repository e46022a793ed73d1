// The vectorised conversions in vm/cpu/convert.h must match vm/core/half.h bit for bit.
#include <bit>
#include <cstring>

#include "tests/cpu/test_util.h"
#include "vm/cpu/convert.h"

namespace tl::cpu_test {
namespace {

TEST(Convert, F16ToF32AllValues) {
  for (const cpu::Isa isa : host_tiers()) {
    SCOPED_TRACE(cpu::isa_name(isa));
    std::vector<f16_bits> h(65536);
    for (uint32_t i = 0; i < 65536; ++i) h[i] = static_cast<f16_bits>(i);
    std::vector<float> fast(65536), ref(65536);
    cpu::f16_to_f32_row_isa(isa, h.data(), fast.data(), 65536);
    cpu::f16_to_f32_row_ref(h.data(), ref.data(), 65536);
    for (uint32_t i = 0; i < 65536; ++i)
      ASSERT_EQ(std::bit_cast<uint32_t>(fast[i]), std::bit_cast<uint32_t>(ref[i])) << "f16 " << i;
  }
}

TEST(Convert, F32ToF16AllF16ValuesRoundTrip) {
  for (const cpu::Isa isa : host_tiers()) {
    SCOPED_TRACE(cpu::isa_name(isa));
    // Every f16 value widened and narrowed again (NaN payloads included) gives half.h's answer.
    std::vector<float> f(65536);
    for (uint32_t i = 0; i < 65536; ++i) f[i] = f16_to_f32(static_cast<f16_bits>(i));
    std::vector<f16_bits> fast(65536), ref(65536);
    cpu::f32_to_f16_row_isa(isa, f.data(), fast.data(), 65536);
    cpu::f32_to_f16_row_ref(f.data(), ref.data(), 65536);
    for (uint32_t i = 0; i < 65536; ++i) ASSERT_EQ(fast[i], ref[i]) << "f16 " << i;
  }
}

std::vector<float> interesting_f32() {
  std::vector<float> v;
  auto add = [&](uint32_t bits) {
    v.push_back(std::bit_cast<float>(bits));
    v.push_back(std::bit_cast<float>(bits | 0x80000000u));
  };
  // Ties and their neighbours: the f32 midpoint between each pair of adjacent f16 values.
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    const double lo = f16_to_f32(static_cast<f16_bits>(h));
    const double hi = h + 1 == 0x7c00 ? 65536.0 : f16_to_f32(static_cast<f16_bits>(h + 1));
    const uint32_t mid = std::bit_cast<uint32_t>(static_cast<float>((lo + hi) / 2));
    for (uint32_t d = 0; d < 3; ++d) {
      add(mid + d);
      add(mid - d);
    }
  }
  // f32 subnormals, specials, overflow boundary, NaN payloads.
  for (uint32_t b :
       {0x00000001u, 0x00400000u, 0x007fffffu, 0x00800000u, 0x7f800000u, 0x7f800001u, 0x7fc00000u,
        0x7fffffffu, 0x7fa00000u, 0x477fe000u, 0x477fefffu, 0x477ff000u, 0x477ff001u, 0x47800000u,
        0x33000000u, 0x33000001u, 0x32ffffffu, 0x33800000u, 0x387fc000u})
    add(b);
  // A uniform sample of all bit patterns.
  for (uint64_t b = 0; b < (uint64_t{1} << 32); b += 4093) add(static_cast<uint32_t>(b));
  return v;
}

TEST(Convert, F32ToF16SampleTiesSubnormalsOverflow) {
  for (const cpu::Isa isa : host_tiers()) {
    SCOPED_TRACE(cpu::isa_name(isa));
    const std::vector<float> f = interesting_f32();
    std::vector<f16_bits> fast(f.size()), ref(f.size());
    cpu::f32_to_f16_row_isa(isa, f.data(), fast.data(), static_cast<int64_t>(f.size()));
    cpu::f32_to_f16_row_ref(f.data(), ref.data(), static_cast<int64_t>(f.size()));
    for (size_t i = 0; i < f.size(); ++i)
      ASSERT_EQ(fast[i], ref[i]) << "f32 bits 0x" << std::hex << std::bit_cast<uint32_t>(f[i]);
  }
}

TEST(Convert, EveryTailLength) {
  for (const cpu::Isa isa : host_tiers()) {
    SCOPED_TRACE(cpu::isa_name(isa));
    Rng rng(7);
    for (int64_t n = 0; n <= 40; ++n) {
      const auto h = random_f16(rng, n, -100, 100);
      std::vector<float> f(static_cast<size_t>(n) + 1, -1.0f), r(static_cast<size_t>(n) + 1, -1.0f);
      cpu::f16_to_f32_row_isa(isa, h.data(), f.data(), n);
      cpu::f16_to_f32_row_ref(h.data(), r.data(), n);
      EXPECT_EQ(f, r) << n;
      EXPECT_EQ(f[n], -1.0f) << "wrote past the end, n=" << n;
      std::vector<f16_bits> back(static_cast<size_t>(n) + 1, 0xabcd);
      cpu::f32_to_f16_row_isa(isa, f.data(), back.data(), n);
      EXPECT_EQ(std::vector<f16_bits>(back.begin(), back.begin() + n), h) << n;
      EXPECT_EQ(back[n], 0xabcd) << "wrote past the end, n=" << n;
    }
  }
}

}  // namespace
}  // namespace tl::cpu_test
