// rope against real llama.cpp: the shared tiny Llama (../shared/fixtures/llama) and llama.cpp's
// recorded activations (expected.json, "layers"): attn_norm-L (the RMSNorm output a) and
// Qcur-L / Kcur-L after RoPE. q = Wq a with a rounded to f16 (what llama.cpp's CPU backend does
// for an F16 weight), reshaped to [T, H, hd], then rope(start 0, the file's freq_base, "norm")
// must give llama.cpp's values; "neox" must not (the check can tell the pairings apart).
#include <nlohmann/json.hpp>

#include <fstream>

#include "tests/cpu/test_util.h"
#include "vm/model/model.h"

namespace tl::cpu_test {
namespace {

const std::filesystem::path kDir = std::filesystem::path(TL_FIXTURES_DIR) / "llama";

std::vector<f16_bits> rows_f16(const nlohmann::json& rows) {
  std::vector<f16_bits> out;
  for (const auto& row : rows)
    for (const auto& v : row) out.push_back(f32_to_f16(v.get<float>()));
  return out;
}

TEST(LlamaFixture, RopeMatchesLlamaCppQcurAndKcur) {
  if (!std::filesystem::exists(kDir / "expected.json")) GTEST_SKIP() << "no " << kDir;
  nlohmann::json expected;
  std::ifstream(kDir / "expected.json") >> expected;
  const auto model = Model::open(kDir / "tiny_llama_s1_f16.gguf");
  const ModelHeader& h = model->header();
  const float theta = h.find_metadata("llama.rope.freq_base")->value->get<float>();
  const int64_t n_head = h.find_metadata("llama.attention.head_count")->value->get<int64_t>();
  const int64_t n_head_kv = h.find_metadata("llama.attention.head_count_kv")->value->get<int64_t>();
  const auto& layers = expected["models"]["tiny_llama_s1_f16.gguf"]["cases"][0]["layers"]["values"];
  CpuBackend& be = fast_backend();
  for (int layer = 0; layer < 2; ++layer)
    for (const auto& [w, name, heads] :
         {std::tuple{"attn_q", "Qcur", n_head}, std::tuple{"attn_k", "Kcur", n_head_kv}}) {
      const std::string L = std::to_string(layer);
      const auto a = rows_f16(layers["attn_norm-" + L]);
      const int64_t T = static_cast<int64_t>(layers["attn_norm-" + L].size());
      const TensorInfo* wi = h.find("blk." + L + "." + w + ".weight");
      ASSERT_NE(wi, nullptr);
      const Tensor W = be.upload_f16(wi->shape, model->to_f16(*wi));
      const Tensor x = be.upload_f16({T, wi->shape[1]}, a);
      const Tensor q = be.linear(x, W, nullptr).reshaped(Shape{T, heads, wi->shape[0] / heads});
      const auto& want = layers[std::string(name) + "-" + L + " (after rope)"];
      double worst[2] = {0, 0};
      for (RopeMode mode : {RopeMode::Norm, RopeMode::Neox}) {
        const auto got = download(be, be.rope(q, 0, theta, mode));
        for (int64_t t = 0; t < T; ++t)
          for (size_t i = 0; i < want[t].size(); ++i) {
            const double wv = want[t][i].get<double>(), g = f16_to_f32(got[t * want[t].size() + i]);
            const double err = std::fabs(g - wv) / (ulp_f16(wv) + 1e-3);
            worst[mode == RopeMode::Neox] = std::max(worst[mode == RopeMode::Neox], err);
          }
      }
      // Our q is rounded to f16 twice (linear, rope), llama.cpp's is f32: within 2 f16 steps
      // (+ 1e-3 for values near 0); the wrong pairing is off by far more.
      EXPECT_LE(worst[0], 2.0) << name << "-" << L << " (norm)";
      EXPECT_GT(worst[1], 20.0) << name << "-" << L << " (neox must differ)";
    }
}

}  // namespace
}  // namespace tl::cpu_test
