// Dequantization against ggml: quant_types.expected.bin holds what ggml's dequantize_row_* gives
// for every tensor of quant_types.gguf (little-endian f32). The comparison is exact, in f32 and
// after rounding to f16.
#include <bit>
#include <cmath>

#include "tests/model/test_util.h"
#include "vm/model/dequant.h"
#include "vm/model/model.h"

namespace tl {
namespace {

using test::fixture;

TEST(Dequant, EveryFixtureTensorMatchesGgmlBitForBit) {
  auto m = Model::open(fixture("gguf/quant_types.gguf"));
  const auto meta = test::read_json(fixture("gguf/quant_types.expected.json"));
  const std::string bin = test::read_text(fixture("gguf/quant_types.expected.bin"));
  size_t checked = 0;
  for (const auto& e : meta["tensors"]) {
    const std::string name = e["name"];
    SCOPED_TRACE(name);
    const auto* t = m->header().find(name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->shape.dims(), e["shape"].get<std::vector<int64_t>>());
    const size_t count = e["count"], offset = e["offset"];
    ASSERT_LE(offset + count * 4, bin.size());
    std::vector<float> want(count);
    std::memcpy(want.data(), bin.data() + offset, count * 4);

    const auto f32 = m->to_f32(*t);
    const auto f16 = m->to_f16(*t);
    ASSERT_EQ(f32.size(), count);
    ASSERT_EQ(f16.size(), count);
    size_t mismatches = 0;
    for (size_t i = 0; i < count; ++i) {
      if (std::bit_cast<uint32_t>(f32[i]) != std::bit_cast<uint32_t>(want[i])) {
        if (++mismatches <= 3)
          ADD_FAILURE() << "f32[" << i << "] = " << f32[i] << ", ggml gives " << want[i];
      }
      if (f16[i] != f32_to_f16(want[i]) && ++mismatches <= 3)
        ADD_FAILURE() << "f16[" << i << "] differs";
    }
    EXPECT_EQ(mismatches, 0u);
    ++checked;
  }
  EXPECT_EQ(checked, 14u);  // every block format in the fixture, plus the 3-d cube
}

// Q8_1 and Q8_K are not stored in GGUF files by llama.cpp but are valid ggml types; their blocks
// are built by hand here: value = d * q.
TEST(Dequant, Q8_1AndQ8_KByHand) {
  {
    std::vector<std::byte> block(36);
    const f16_bits d = f32_to_f16(0.5f), s = f32_to_f16(123.0f);
    std::memcpy(block.data(), &d, 2);
    std::memcpy(block.data() + 2, &s, 2);
    for (int j = 0; j < 32; ++j) block[4 + j] = static_cast<std::byte>(static_cast<int8_t>(j - 16));
    std::vector<float> y(32);
    dequantize_row(DType::Q8_1, block.data(), y.data(), 32);
    for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 0.5f * static_cast<float>(j - 16)) << j;
  }
  {
    std::vector<std::byte> block(292);
    const float d = 0.03125f;
    std::memcpy(block.data(), &d, 4);
    for (int j = 0; j < 256; ++j)
      block[4 + j] = static_cast<std::byte>(static_cast<int8_t>(j - 128));
    std::vector<float> y(256);
    dequantize_row(DType::Q8_K, block.data(), y.data(), 256);
    for (int j = 0; j < 256; ++j) EXPECT_EQ(y[j], d * static_cast<float>(j - 128)) << j;
  }
}

// Q4_0 by hand, to pin the nibble order (low nibbles first half, high nibbles second half).
TEST(Dequant, Q4_0NibbleOrder) {
  std::vector<std::byte> block(18);
  const f16_bits d = f32_to_f16(2.0f);
  std::memcpy(block.data(), &d, 2);
  for (int j = 0; j < 16; ++j) block[2 + j] = static_cast<std::byte>((15 - j) << 4 | j);
  std::vector<float> y(32);
  dequantize_row(DType::Q4_0, block.data(), y.data(), 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 2.0f * static_cast<float>(j - 8));
    EXPECT_EQ(y[j + 16], 2.0f * static_cast<float>(15 - j - 8));
  }
}

TEST(Dequant, RefusesPartialBlocksAndUnsupportedTypes) {
  std::vector<std::byte> block(18);
  std::vector<float> y(32);
  EXPECT_THROW(dequantize_row(DType::Q4_0, block.data(), y.data(), 31), RuntimeError);
  EXPECT_THROW(dequantize_row(DType::IQ4_NL, block.data(), y.data(), 32), RuntimeError);
  EXPECT_THROW(dequantize_row(DType::I32, block.data(), y.data(), 4), RuntimeError);
}

TEST(Dequant, FloatTypesAreExact) {
  const float vals[] = {1.0f, -2.5f, 65504.0f, 1e-7f};
  std::vector<float> y(4);
  dequantize_row(DType::F32, reinterpret_cast<const std::byte*>(vals), y.data(), 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(y[i], vals[i]);
  uint16_t bf[4];
  for (int i = 0; i < 4; ++i) bf[i] = f32_to_bf16(vals[i]);
  dequantize_row(DType::BF16, reinterpret_cast<const std::byte*>(bf), y.data(), 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(y[i], bf16_to_f32(bf[i]));
}

}  // namespace
}  // namespace tl
