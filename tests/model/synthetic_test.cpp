// Rules the reference fixtures do not cover, on files built byte by byte here: GGUF v2, v1, nested
// arrays, general.alignment checks, duplicate keys and names, huge array counts; safetensors gaps,
// trailing bytes, bad __metadata__.
#include <cstring>

#include "tests/model/test_util.h"
#include "vm/model/model.h"

namespace tl {
namespace {

// Little-endian GGUF builder.
class Gguf {
 public:
  explicit Gguf(uint32_t version = 3, uint64_t n_tensors = 0, uint64_t n_kv = 0) {
    bytes_ = "GGUF";
    u32(version);
    u64(n_tensors);
    u64(n_kv);
  }
  Gguf& u8(uint8_t v) { return raw(&v, 1); }
  Gguf& u32(uint32_t v) { return raw(&v, 4); }
  Gguf& u64(uint64_t v) { return raw(&v, 8); }
  Gguf& f32(float v) { return raw(&v, 4); }
  Gguf& str(const std::string& s) {
    u64(s.size());
    bytes_ += s;
    return *this;
  }
  Gguf& kv_u32(const std::string& key, uint32_t v) { return str(key).u32(4).u32(v); }
  Gguf& tensor(const std::string& name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(ne.size()));
    for (auto d : ne) u64(d);
    return u32(type).u64(offset);
  }
  Gguf& pad_to(uint64_t alignment) {
    while (bytes_.size() % alignment) bytes_ += '\0';
    return *this;
  }
  Gguf& zeros(size_t n) {
    bytes_.append(n, '\0');
    return *this;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  Gguf& raw(const void* p, size_t n) {
    bytes_.append(static_cast<const char*>(p), n);
    return *this;
  }
  std::string bytes_;
};

class Synthetic : public ::testing::Test {
 protected:
  ModelHeader read(const std::string& bytes) {
    const auto p = dir_.path() / "file.bin";
    test::write_bytes(p, bytes);
    return read_model_header(p);
  }
  // The error message for `bytes`, or "" when it reads fine.
  std::string error(const std::string& bytes) {
    try {
      (void)read(bytes);
    } catch (const ModelFileError& e) {
      return e.what();
    }
    return "";
  }
  test::TempDir dir_;
};

#define EXPECT_ERROR_HAS(bytes, word)                                             \
  do {                                                                            \
    const std::string msg_ = error(bytes);                                        \
    EXPECT_NE(msg_.find(word), std::string::npos) << "message: '" << msg_ << "'"; \
  } while (0)

TEST_F(Synthetic, GgufVersion2ReadsLikeVersion3) {
  for (uint32_t v : {2u, 3u}) {
    Gguf g(v, 1, 1);
    g.str("general.name").u32(8).str("two");
    g.tensor("t", {4, 2}, /*F32*/ 0, 0).pad_to(32).zeros(32);
    const auto h = read(g.bytes());
    EXPECT_EQ(h.version, v);
    ASSERT_EQ(h.tensors.size(), 1u);
    EXPECT_EQ(h.tensors[0].shape, (Shape{2, 4}));
    EXPECT_EQ(h.tensors[0].nbytes, 32u);
  }
}

TEST_F(Synthetic, GgufVersion1IsUnsupported) {
  EXPECT_ERROR_HAS(Gguf(1).bytes(), "unsupported GGUF version 1");
}

TEST_F(Synthetic, GgufNestedArraysAndEveryScalar) {
  Gguf g(3, 0, 2);
  // array[array[u32]]: [[1, 2], [3]]
  g.str("nested").u32(9).u32(9).u64(2);
  g.u32(4).u64(2).u32(1).u32(2);
  g.u32(4).u64(1).u32(3);
  g.str("empty").u32(9).u32(8).u64(0);
  const auto h = read(g.bytes());
  const auto* m = h.find_metadata("nested");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->type, "array[array[u32]]");
  EXPECT_EQ(*m->value, nlohmann::json({{1, 2}, {3}}));
  EXPECT_EQ(h.find_metadata("empty")->type, "array[string]");
  EXPECT_TRUE(h.find_metadata("empty")->value->empty());
}

TEST_F(Synthetic, GgufHugeArrayCountFailsWithoutAllocating) {
  Gguf g(3, 0, 1);
  g.str("big").u32(9).u32(10).u64(uint64_t{1} << 61);
  EXPECT_ERROR_HAS(g.bytes(), "cannot fit");
  Gguf s(3, 0, 1);
  s.str("strs").u32(9).u32(8).u64(uint64_t{1} << 40).str("a");
  EXPECT_ERROR_HAS(s.bytes(), "cannot fit");
}

TEST_F(Synthetic, GgufDeepNestingIsRefused) {
  Gguf g(3, 0, 1);
  g.str("deep").u32(9);
  for (int i = 0; i < 20; ++i) g.u32(9).u64(1);
  g.u32(4).u64(0);
  EXPECT_ERROR_HAS(g.bytes(), "nested deeper");
}

TEST_F(Synthetic, GgufAlignmentRules) {
  {
    Gguf g(3, 1, 1);
    g.kv_u32("general.alignment", 48).tensor("t", {4}, 0, 0).pad_to(48).zeros(16);
    EXPECT_ERROR_HAS(g.bytes(), "not a power of two");
  }
  {
    Gguf g(3, 0, 1);
    g.str("general.alignment").u32(6).f32(32.0f);
    EXPECT_ERROR_HAS(g.bytes(), "must be a u32");
  }
  {
    Gguf g(3, 2, 1);
    g.kv_u32("general.alignment", 16).tensor("a", {2}, 0, 0).tensor("b", {2}, 0, 16);
    g.pad_to(16).zeros(32);
    const auto h = read(g.bytes());
    EXPECT_EQ(h.alignment, 16u);
    EXPECT_EQ(h.data_offset % 16, 0u);
    EXPECT_EQ(h.find("b")->offset, h.data_offset + 16);
  }
}

TEST_F(Synthetic, GgufDuplicatesOverlapsAndBadBool) {
  {
    Gguf g(3, 0, 2);
    g.kv_u32("k", 1).kv_u32("k", 2);
    EXPECT_ERROR_HAS(g.bytes(), "duplicate metadata key 'k'");
  }
  {
    Gguf g(3, 2, 0);
    g.tensor("t", {8}, 0, 0).tensor("t", {8}, 0, 32).pad_to(32).zeros(64);
    EXPECT_ERROR_HAS(g.bytes(), "duplicate tensor name 't'");
  }
  {
    Gguf g(3, 2, 0);
    g.tensor("a", {16}, 0, 0).tensor("b", {8}, 0, 32).pad_to(32).zeros(64);
    EXPECT_ERROR_HAS(g.bytes(), "overlaps tensor 'a'");
  }
  {
    Gguf g(3, 0, 1);
    g.str("flag").u32(7).u8(2);
    EXPECT_ERROR_HAS(g.bytes(), "neither 0 nor 1");
  }
  {
    Gguf g(3, 1, 0);
    g.tensor("q", {33}, /*Q4_0*/ 2, 0).pad_to(32).zeros(64);
    EXPECT_ERROR_HAS(g.bytes(), "not a multiple of the Q4_0 block size 32");
  }
  {
    Gguf g(3, 1, 0);  // a 0-d tensor cannot be a whole Q8_0 block
    g.tensor("s", {}, /*Q8_0*/ 8, 0).pad_to(32).zeros(64);
    EXPECT_ERROR_HAS(g.bytes(), "not a multiple of the Q8_0 block size 32");
  }
  {
    Gguf g(3, 0, 1);
    g.str("x").u32(13).u32(0);
    EXPECT_ERROR_HAS(g.bytes(), "unknown value type 13");
  }
}

TEST_F(Synthetic, GgufUnsupportedQuantLoadsButRefusesConversion) {
  Gguf g(3, 1, 0);
  g.tensor("iq", {32}, /*IQ4_NL*/ 20, 0).pad_to(32).zeros(18);
  const auto p = dir_.path() / "iq.gguf";
  test::write_bytes(p, g.bytes());
  auto m = Model::open(p);
  const auto* t = m->header().find("iq");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->dtype, DType::IQ4_NL);
  EXPECT_EQ(m->raw(*t).size(), 18u);
  try {
    (void)m->to_f16(*t);
    FAIL();
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("IQ4_NL"), std::string::npos) << e.what();
  }
}

std::string safetensors(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + std::string(data_bytes, '\0');
}

TEST_F(Synthetic, SafetensorsGapsAndTrailingBytes) {
  EXPECT_ERROR_HAS(safetensors(R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},)"
                               R"("b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]}})",
                               12),
                   "gap of 4 bytes");
  EXPECT_ERROR_HAS(safetensors(R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 6),
                   "2 bytes not covered");
  EXPECT_ERROR_HAS(safetensors(R"({"__metadata__":{"n":1}})", 0), "must be a string");
  EXPECT_ERROR_HAS(safetensors(R"({"__metadata__":[1]})", 0), "must be an object");
  EXPECT_ERROR_HAS(safetensors(R"({"a":{"dtype":"Q4_0","shape":[32],"data_offsets":[0,18]}})", 18),
                   "unknown dtype \"Q4_0\"");
  EXPECT_ERROR_HAS(safetensors(R"({"a":{"dtype":"F16","shape":[1.5],"data_offsets":[0,2]}})", 2),
                   "non-negative integers");
  EXPECT_ERROR_HAS(safetensors(R"({"a":{"dtype":"F16","shape":[1],"data_offsets":[0]}})", 2),
                   "[begin, end]");
  EXPECT_ERROR_HAS(safetensors("{\"\xff\":1}", 0), "not valid JSON");
  // An empty header with no data is a valid (empty) file.
  EXPECT_TRUE(read(safetensors("{}      ", 0)).tensors.empty());
}

}  // namespace
}  // namespace tl
