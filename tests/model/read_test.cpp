// Reading the reference fixtures (made by PyTorch/safetensors and ggml's gguf writer).
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>

#include "tests/model/test_util.h"
#include "vm/core/suggest.h"
#include "vm/model/model.h"

namespace tl {
namespace {

using test::fixture;

TEST(Safetensors, DtypesConvertToF16AsNumpyAstype) {
  auto m = Model::open(fixture("safetensors/dtypes.safetensors"));
  const auto& h = m->header();
  EXPECT_EQ(h.format, ModelFormat::Safetensors);
  const auto expected = test::read_json(fixture("safetensors/dtypes.expected.json"));

  auto values = [&](const char* name) {
    const auto* t = h.find(name);
    EXPECT_NE(t, nullptr) << name;
    return m->to_f16(*t);
  };
  // f32 and f64 hold the same underlying values; both round to the same f16 (f64 directly).
  for (const char* name : {"f32", "f64", "f16"}) {
    const auto got = values(name);
    const auto& want = expected["f16_of_f32"];
    ASSERT_EQ(got.size(), want.size()) << name;
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_EQ(f16_to_f32(got[i]), want[i].get<double>()) << name << "[" << i << "]";
  }
  {
    const auto got = values("bf16");
    const auto& want = expected["f16_of_bf16"];
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_EQ(f16_to_f32(got[i]), want[i].get<double>()) << "bf16[" << i << "]";
  }
  {
    const auto got = values("overflow");
    const auto& want = expected["overflow_as_f16"];
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_EQ(f16_to_f32(got[i]), std::stod(want[i].get<std::string>()))
          << "overflow[" << i << "]";
  }
  EXPECT_EQ(h.find("f32")->shape, (Shape{2, 3, 4}));
  EXPECT_EQ(h.find("empty")->shape, (Shape{0, 3}));
  EXPECT_TRUE(values("empty").empty());
  EXPECT_EQ(h.find("scalar")->shape, Shape{});
  EXPECT_EQ(values("scalar").size(), 1u);
  const auto* md = h.find_metadata("format");
  ASSERT_NE(md, nullptr);
  EXPECT_EQ(md->value->get<std::string>(), "pt");
}

TEST(Safetensors, IntegerTensorsLoadButRefuseF16) {
  auto m = Model::open(fixture("safetensors/dtypes.safetensors"));
  for (const char* name : {"i32", "u8"}) {
    const auto* t = m->header().find(name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(m->raw(*t).size(), t->nbytes);
    try {
      (void)m->to_f16(*t);
      FAIL() << "expected an error for " << name;
    } catch (const RuntimeError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(std::string("'") + name + "'"), std::string::npos) << what;
      EXPECT_NE(what.find(dtype_name(t->dtype)), std::string::npos) << what;
    }
  }
}

TEST(Safetensors, LinearShapes) {
  const auto h = read_model_header(fixture("safetensors/linear.safetensors"));
  ASSERT_EQ(h.tensors.size(), 2u);
  EXPECT_EQ(h.find("layer.0.weight")->shape, (Shape{3, 2}));
  EXPECT_EQ(h.find("layer.0.bias")->shape, (Shape{2}));
  EXPECT_EQ(h.find("layer.0.weight")->dtype, DType::F16);
  // Tensors are listed in data order; offsets are absolute.
  EXPECT_EQ(h.tensors[0].name, "layer.0.bias");
  EXPECT_EQ(h.tensors[0].offset, h.data_offset);
  EXPECT_EQ(h.tensors[1].offset, h.data_offset + 4);
}

TEST(Safetensors, MlpFilesLoadFinite) {
  struct Want {
    const char* name;
    Shape shape;
  };
  const std::vector<std::pair<const char*, std::vector<Want>>> files = {
      {"safetensors/mlp.safetensors",
       {{"0.weight", {16, 8}}, {"0.bias", {16}}, {"2.weight", {4, 16}}, {"2.bias", {4}}}},
      {"safetensors/mlp_io.safetensors", {{"input", {5, 8}}, {"expected", {5, 4}}}}};
  for (const auto& [file, wants] : files) {
    auto m = Model::open(fixture(file));
    EXPECT_EQ(m->header().tensors.size(), wants.size()) << file;
    for (const auto& w : wants) {
      const auto* t = m->header().find(w.name);
      ASSERT_NE(t, nullptr) << file << " " << w.name;
      EXPECT_EQ(t->shape, w.shape) << w.name;
      EXPECT_EQ(t->dtype, DType::F32);
      const auto v = m->to_f16(*t);
      EXPECT_EQ(static_cast<int64_t>(v.size()), w.shape.numel());
      for (auto x : v) EXPECT_TRUE(std::isfinite(f16_to_f32(x))) << w.name;
    }
  }
}

TEST(Gguf, LinearShapesAreReversedDims) {
  auto m = Model::open(fixture("gguf/linear.gguf"));
  const auto& h = m->header();
  EXPECT_EQ(h.format, ModelFormat::Gguf);
  EXPECT_EQ(h.version, 3u);
  EXPECT_EQ(h.alignment, 32u);
  EXPECT_EQ(h.data_offset % 32, 0u);
  const auto* w = h.find("layer.0.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->shape, (Shape{3, 2}));  // ggml ne = {2, 3}
  EXPECT_EQ(w->dtype, DType::F16);
  EXPECT_EQ(h.find("layer.0.bias")->shape, (Shape{2}));
  // Same values as the safetensors twin.
  auto st = Model::open(fixture("safetensors/linear.safetensors"));
  for (const char* name : {"layer.0.weight", "layer.0.bias"})
    EXPECT_EQ(m->to_f16(*h.find(name)), st->to_f16(*st->header().find(name))) << name;
  EXPECT_EQ(h.find_metadata("general.architecture")->value->get<std::string>(), "tl-fixture");
}

TEST(Gguf, Aligned64) {
  auto m = Model::open(fixture("gguf/aligned64.gguf"));
  const auto& h = m->header();
  EXPECT_EQ(h.alignment, 64u);
  EXPECT_EQ(h.data_offset % 64, 0u);
  ASSERT_EQ(h.tensors.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const auto& t = h.tensors[i];
    EXPECT_EQ(t.name, "v" + std::to_string(i));
    EXPECT_EQ(t.shape, Shape{static_cast<int64_t>(5 + i)});
    EXPECT_EQ((t.offset - h.data_offset) % 64, 0u) << t.name;
    EXPECT_EQ(m->to_f32(t).size(), 5 + i);
  }
}

TEST(Gguf, MetadataOfEveryType) {
  const auto h = read_model_header(fixture("gguf/quant_types.gguf"));
  auto v = [&](const char* key) {
    const auto* m = h.find_metadata(key);
    EXPECT_NE(m, nullptr) << key;
    return std::pair(m->type, *m->value);
  };
  EXPECT_EQ(v("test.u8"), std::pair(std::string("u8"), nlohmann::json(200)));
  EXPECT_EQ(v("test.i8").second, -100);
  EXPECT_EQ(v("test.u16").second, 60000);
  EXPECT_EQ(v("test.i16").second, -30000);
  EXPECT_EQ(v("test.u32").second, 4000000000u);
  EXPECT_EQ(v("test.i32").second, -2000000000);
  EXPECT_EQ(v("test.f32").second, 0.125);
  EXPECT_EQ(v("test.u64").second, 18000000000000000000u);
  EXPECT_EQ(v("test.i64").second, -9000000000000000000);
  EXPECT_EQ(v("test.f64").second, 2.718281828459045);
  EXPECT_EQ(v("test.bool").second, true);
  EXPECT_EQ(v("test.string").second, "h\xc3\xa9llo, w\xc3\xb6rld");
  EXPECT_EQ(v("test.arr_i32"),
            std::pair(std::string("array[i32]"), nlohmann::json({1, -2, 3, -4, 5})));
  EXPECT_EQ(v("test.arr_f32").first, "array[f32]");
  EXPECT_EQ(v("test.arr_str").second, nlohmann::json({"<s>", "</s>", "\xe2\x96\x81the"}));
}

TEST(Detection, ByContentNotExtension) {
  test::TempDir dir;
  // A GGUF file named .safetensors and a safetensors file named .bin are both read right.
  const auto g = dir.path() / "model.safetensors";
  const auto s = dir.path() / "weights.bin";
  std::filesystem::copy_file(fixture("gguf/linear.gguf"), g);
  std::filesystem::copy_file(fixture("safetensors/linear.safetensors"), s);
  EXPECT_EQ(read_model_header(g).format, ModelFormat::Gguf);
  EXPECT_EQ(read_model_header(s).format, ModelFormat::Safetensors);
}

TEST(Detection, UnknownContentSaysWhatWasExpected) {
  test::TempDir dir;
  const auto p = dir.path() / "picture.gguf";
  test::write_bytes(p, "\x89PNG\r\n\x1a\n0000000000000000");
  try {
    (void)read_model_header(p);
    FAIL();
  } catch (const ModelFileError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(p.string()), std::string::npos);
    EXPECT_NE(what.find("89 50 4e 47"), std::string::npos) << what;
    EXPECT_NE(what.find("'GGUF'"), std::string::npos) << what;
    EXPECT_NE(what.find("safetensors"), std::string::npos) << what;
  }
}

TEST(Detection, CoreMLIsExplained) {
  for (const char* name : {"model.mlmodel", "model.mlpackage"}) {
    try {
      (void)Model::open(name);
      FAIL() << name;
    } catch (const ModelFileError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("Apple"), std::string::npos) << what;
      EXPECT_NE(what.find("safetensors"), std::string::npos) << what;
      EXPECT_NE(what.find("GGUF"), std::string::npos) << what;
    }
  }
}

TEST(Detection, MissingFileIsAFormatError) {
  EXPECT_THROW((void)read_model_header("/nonexistent/model.safetensors"), FormatError);
  EXPECT_THROW((void)read_model_header(TL_FIXTURES_DIR), FormatError);  // a directory
}

TEST(Header, ClosestNames) {
  const auto h = read_model_header(fixture("gguf/quant_types.gguf"));
  const auto c = h.closest_names("w.Q4_O");
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0], "w.Q4_0");
  EXPECT_LE(c.size(), 3u);
  EXPECT_TRUE(h.closest_names("completely.unrelated.name").empty());
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(Header, CacheReReadsOnlyWhenTheFileChanges) {
  test::TempDir dir;
  const auto p = dir.path() / "m.safetensors";
  std::filesystem::copy_file(fixture("safetensors/linear.safetensors"), p);
  ::chmod(p.c_str(), 0644);  // the fixtures are read-only; the copy keeps their mode
  ModelHeaderCache cache;
  const auto a = cache.get(p);
  const auto b = cache.get(p);
  EXPECT_EQ(a.get(), b.get());
  std::filesystem::copy_file(fixture("safetensors/mlp.safetensors"), p,
                             std::filesystem::copy_options::overwrite_existing);
  const auto c = cache.get(p);
  EXPECT_NE(c.get(), a.get());
  EXPECT_EQ(c->tensors.size(), 4u);
}

TEST(Model, RawIsAViewOfTheStoredBytes) {
  auto m = Model::open(fixture("gguf/quant_types.gguf"));
  const auto* t = m->header().find("w.Q4_0");
  ASSERT_NE(t, nullptr);
  const auto raw = m->raw(*t);
  EXPECT_EQ(raw.size(), 3u * 256 / 32 * 18);  // stays quantized: 18-byte blocks
  const std::string file = test::read_text(fixture("gguf/quant_types.gguf"));
  EXPECT_EQ(std::memcmp(raw.data(), file.data() + t->offset, raw.size()), 0);
}

}  // namespace
}  // namespace tl
