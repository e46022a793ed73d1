// Token sampling for temperature_sample: the random generator a run owns (no global state), and
// the sampler itself, which works on host floats so every backend samples identically.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>

namespace tl {

// One per VM run (in BuiltinEnv). Seeded from std::random_device on first use unless the program
// seeds it; mt19937_64's sequence is fixed by the C++ standard, so a seed reproduces a run
// everywhere.
class RunRandom {
 public:
  void seed(uint64_t s) { gen_.emplace(s); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform();

 private:
  std::optional<std::mt19937_64> gen_;
};

struct SamplingParams {
  double temperature = 1.0;  // 0: the argmax (greedy)
  int64_t top_k = 0;         // 0: every token
  double top_p = 1.0;        // 1: no nucleus filtering
};

// llama.cpp's chain: keep the top_k largest logits (ties: lower id first), then the smallest
// prefix of them whose softmax probabilities sum to >= top_p (at least one), then draw from
// softmax(logit / temperature) over what is left. temperature 0 returns the first argmax without
// drawing. Throws RuntimeError for a NaN logit, negative temperature or top_k, top_p outside
// (0, 1], or no logits.
int64_t sample_token(std::span<const float> logits, const SamplingParams& p, RunRandom& rng);

}  // namespace tl
