// Bounds that hostile input used to break: element counts, bytecode counts, header sizes, values.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

#include "vm/bytecode/builder.h"
#include "vm/bytecode/tlbc_file.h"
#include "vm/bytecode/verifier.h"
#include "vm/core/error.h"
#include "vm/core/suggest.h"
#include "vm/model/formats.h"
#include "vm/model/model.h"
#include "vm/tensor/shape.h"

namespace tl {
namespace {

constexpr int64_t kHuge = 6148914691236517206;  // 3 * kHuge wraps to 2 in int64

TEST(TensorLimit, ElementCountsNeverWrap) {
  EXPECT_THROW((void)Shape({3, kHuge}).numel(), RuntimeError);
  EXPECT_THROW((void)Shape({3, kHuge}).strides(), RuntimeError);
  EXPECT_THROW((void)Shape({int64_t{1} << 32, int64_t{1} << 32}).numel(), RuntimeError);
  // Empty, yet its strides would overflow: refused too.
  EXPECT_THROW((void)Shape({0, 3, kHuge}).numel(), RuntimeError);
  EXPECT_THROW((void)Shape({-1, 2}).numel(), RuntimeError);
  EXPECT_EQ(Shape({int64_t{1} << 20, int64_t{1} << 20}).numel(), kMaxTensorElements);
  EXPECT_THROW((void)Shape({(int64_t{1} << 20) + 1, int64_t{1} << 20}).numel(), RuntimeError);
  EXPECT_EQ(Shape({0, kMaxTensorElements}).numel(), 0);
  try {
    (void)Shape({3, kHuge}).numel();
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("[3, 6148914691236517206] is too large"),
              std::string::npos)
        << e.what();
  }
}

TEST(TensorLimit, ReshapeTargetsThatOverflowSaySo) {
  const int64_t target[] = {kHuge, kHuge, -1};
  try {
    resolve_reshape(Shape({2, 3}), target);
    FAIL() << "an overflowing reshape target was accepted";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("too large"), std::string::npos) << e.what();
  }
}

TEST(BytecodeBounds, GlobalCountIsBounded) {
  ModuleBuilder mb;
  const uint32_t f = mb.declare_function("<script>", 0);
  mb.set_entry(f);
  mb.function(f).emit(OpCode::RETURN, 0, 0);
  Module m = mb.finish();
  m.num_globals = 0xFFFFFFFFu;
  EXPECT_THROW(verify_module(m), FormatError);
  const std::vector<uint8_t> bytes = write_module(m);
  try {
    (void)read_module(bytes);
    FAIL() << "a module with 2^32-1 globals was accepted";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("globals"), std::string::npos) << e.what();
  }
  m.num_globals = 65536;
  EXPECT_NO_THROW(verify_module(m));
}

TEST(BytecodeBounds, ConstantPoolFullIsAnError) {
  ModuleBuilder mb;
  for (int64_t i = 0; i < 65536; ++i) mb.constant(i);
  EXPECT_EQ(mb.constant(int64_t{0}), 0u);  // an existing constant is still found
  EXPECT_THROW(mb.constant(int64_t{65536}), FormatError);
}

TEST(Suggestions, LongNamesAreCheap) {
  const std::string huge(1 << 20, 'q');
  std::vector<std::string> names;
  for (int i = 0; i < 2000; ++i) names.push_back("name_" + std::to_string(i));
  names.push_back(std::string(1 << 20, 'q') + "x");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(closest_names(huge, names).empty());
  EXPECT_EQ(closest_names("name_12x", names).at(0), "name_12");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

std::string safetensors_with(size_t tensors, size_t metadata) {
  std::string h = "{\"__metadata__\":{";
  for (size_t i = 0; i < metadata; ++i)
    h += (i ? ",\"" : "\"") + std::string("key") + std::to_string(metadata - i) + "\":\"v\"";
  h += "}";
  for (size_t i = 0; i < tensors; ++i)
    h += ",\"t" + std::to_string(i) + "\":{\"dtype\":\"F16\",\"shape\":[0],\"data_offsets\":[0,0]}";
  h += "}";
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>(uint64_t{h.size()} >> (8 * i));
  return file + h;
}

// 300,000 entries took minutes with a linear key search; the bound leaves room for a slow machine.
TEST(SafetensorsHeader, ParsesInLinearTime) {
  const std::string file = safetensors_with(300000, 100000);
  // CPU time, not wall time: on a shared machine the wall clock measured the load (126 s once).
  const std::clock_t start = std::clock();
  const ModelHeader h = parse_safetensors("big.safetensors", std::as_bytes(std::span(file)));
  const auto took = std::chrono::duration<double>(double(std::clock() - start) / CLOCKS_PER_SEC);
  EXPECT_EQ(h.tensors.size(), 300000u);
  ASSERT_EQ(h.metadata.size(), 100000u);
  // File order, not sorted order.
  EXPECT_EQ(h.metadata.front().key, "key100000");
  EXPECT_EQ(h.metadata.back().key, "key1");
  EXPECT_LT(took, std::chrono::seconds(20)) << "parsing took too long";
}

// A minimal GGUF v3 file: one metadata entry and one F32 tensor of 4 elements.
std::string gguf_with(uint32_t value_type, const std::string& value, uint32_t tensor_type) {
  std::string f = "GGUF";
  auto u32 = [&](uint32_t v) { f.append(reinterpret_cast<const char*>(&v), 4); };
  auto u64 = [&](uint64_t v) { f.append(reinterpret_cast<const char*>(&v), 8); };
  auto str = [&](const std::string& s) { u64(s.size()), f += s; };
  u32(3), u64(1), u64(1);
  str("k"), u32(value_type), f += value;
  str("w"), u32(1), u64(4), u32(tensor_type), u64(0);
  f.append((32 - f.size() % 32) % 32, '\0');
  f.append(16, '\0');
  return f;
}

TEST(GgufValues, UnknownTypeIdsAreRefused) {
  const std::string u8_value(1, '\x07');
  const std::string ok = gguf_with(0, u8_value, 0), bad = gguf_with(0, u8_value, 0xFFFFFFFF);
  EXPECT_NO_THROW(parse_gguf("ok.gguf", std::as_bytes(std::span(ok))));
  EXPECT_THROW(parse_gguf("bad.gguf", std::as_bytes(std::span(bad))), ModelFileError);
}

TEST(GgufValues, LargeUnsignedStaysUnsigned) {
  const uint64_t max = UINT64_MAX;
  const std::string bytes(reinterpret_cast<const char*>(&max), 8);
  const std::string file = gguf_with(10, bytes, 0);
  const ModelHeader h = parse_gguf("u.gguf", std::as_bytes(std::span(file)));
  ASSERT_EQ(h.metadata.size(), 1u);
  EXPECT_TRUE(h.metadata[0].value->is_number_unsigned());
  EXPECT_EQ(h.metadata[0].value->get<uint64_t>(), max);
}

}  // namespace
}  // namespace tl
