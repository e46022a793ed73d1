// Every malformed fixture gives a ModelFileError (a FormatError) whose message names the file and
// says what is wrong; never a crash.
#include <map>

#include "tests/model/test_util.h"
#include "vm/model/model.h"

namespace tl {
namespace {

// Key words each message must contain (lower-cased comparison).
const std::map<std::string, std::vector<std::string>> kExpected = {
    {"gguf/bad/bad_version.gguf", {"unsupported", "version 99"}},
    {"gguf/bad/empty_file.gguf", {"empty"}},
    {"gguf/bad/key_len_huge.gguf", {"metadata key", "length", "past the end"}},
    {"gguf/bad/magic_only.gguf", {"truncated", "version"}},
    {"gguf/bad/n_kv_huge.gguf", {"metadata count", "cannot fit"}},
    {"gguf/bad/n_tensors_huge.gguf", {"tensor count", "cannot fit"}},
    {"gguf/bad/offset_not_multiple_of_alignment.gguf", {"'v1'", "misaligned", "alignment 64"}},
    {"gguf/bad/tensor_dim_overflow.gguf", {"'w.q4_0'", "overflow"}},
    {"gguf/bad/tensor_n_dims_99.gguf", {"99 dimensions"}},
    {"gguf/bad/tensor_offset_misaligned.gguf", {"misaligned", "6145"}},
    {"gguf/bad/tensor_offset_past_eof.gguf", {"past the end"}},
    {"gguf/bad/tensor_type_unknown.gguf", {"unknown ggml tensor type 1234"}},
    {"gguf/bad/truncated_data.gguf", {"past the end", "truncated"}},
    {"gguf/bad/truncated_header.gguf", {"truncated"}},
    {"gguf/bad/wrong_magic.gguf", {"unknown model format", "'gguf'", "47 47 55 58"}},
    {"safetensors/bad/empty_file.safetensors", {"empty"}},
    {"safetensors/bad/header_len_huge.safetensors", {"header length", "too large"}},
    {"safetensors/bad/header_len_past_eof.safetensors", {"header length 1168", "past the end"}},
    {"safetensors/bad/header_not_json.safetensors", {"not valid json"}},
    {"safetensors/bad/header_not_object.safetensors", {"not a json object"}},
    {"safetensors/bad/missing_offsets.safetensors", {"'layer.0.bias'", "missing", "data_offsets"}},
    {"safetensors/bad/negative_dim.safetensors", {"'layer.0.bias'", "negative dimension -2"}},
    {"safetensors/bad/offsets_out_of_range.safetensors", {"'layer.0.bias'", "out of range"}},
    {"safetensors/bad/offsets_overlap.safetensors", {"overlap"}},
    {"safetensors/bad/offsets_reversed.safetensors", {"'layer.0.bias'", "reversed"}},
    {"safetensors/bad/shape_overflow.safetensors", {"'layer.0.bias'", "overflow"}},
    {"safetensors/bad/shape_size_mismatch.safetensors",
     {"'layer.0.bias'", "needs 6 bytes", "span 4"}},
    {"safetensors/bad/short_length.safetensors", {"too short", "5 bytes"}},
    {"safetensors/bad/truncated_data.safetensors", {"truncated"}},
    {"safetensors/bad/unknown_dtype.safetensors", {"unknown dtype", "f8_e9m9"}},
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(BadFiles, EveryFixtureIsCoveredHere) {
  size_t n = 0;
  for (const char* dir : {"gguf/bad", "safetensors/bad"})
    for (const auto& e : std::filesystem::directory_iterator(test::fixture(dir))) {
      const auto rel = std::string(dir) + "/" + e.path().filename().string();
      EXPECT_TRUE(kExpected.count(rel)) << rel << " has no expected message in this test";
      ++n;
    }
  EXPECT_EQ(n, kExpected.size());
}

TEST(BadFiles, ClearErrorForEach) {
  for (const auto& [rel, words] : kExpected) {
    const auto path = test::fixture(rel);
    for (int via_open = 0; via_open < 2; ++via_open) {
      try {
        if (via_open)
          (void)Model::open(path);
        else
          (void)read_model_header(path);
        ADD_FAILURE() << rel << ": no error";
      } catch (const ModelFileError& e) {
        const std::string what = lower(e.what());
        EXPECT_EQ(std::string(e.what()).rfind(path.string() + ": ", 0), 0u) << e.what();
        EXPECT_EQ(e.path(), path);
        for (const auto& w : words)
          EXPECT_NE(what.find(w), std::string::npos)
              << rel << ": '" << w << "' not in: " << e.what();
      }
    }
  }
}

// Every proper prefix of a good file is an error, never a crash or a hang (the header parsers'
// bounds checks, exercised at every cut point).
TEST(BadFiles, EveryTruncationOfAGoodFileFails) {
  test::TempDir dir;
  for (const char* rel : {"gguf/quant_types.gguf", "safetensors/dtypes.safetensors"}) {
    const std::string bytes = test::read_text(test::fixture(rel));
    const auto p = dir.path() / "cut";
    for (size_t n = 0; n < bytes.size(); n += (n < 1400 ? 1 : 97)) {
      test::write_bytes(p, bytes.substr(0, n));
      EXPECT_THROW((void)read_model_header(p), ModelFileError) << rel << " cut at " << n;
    }
  }
}

}  // namespace
}  // namespace tl
