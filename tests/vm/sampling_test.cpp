// temperature_sample's sampler (vm/runtime/sampling.h): greedy at temperature 0, top-k and top-p
// filtering, reproducibility for a seed, and the drawn distribution against softmax over many
// draws (a chi-square-like bound that a wrong temperature, filter or off-by-one would fail).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "vm/core/error.h"
#include "vm/runtime/sampling.h"

namespace tl {
namespace {

const std::vector<float> kLogits = {1.0f, 3.0f, 2.0f, 3.0f, -1.0f, 0.5f};

TEST(Sampling, TemperatureZeroIsFirstArgmax) {
  RunRandom rng;
  EXPECT_EQ(sample_token(kLogits, {0.0, 0, 1.0}, rng), 1);
  EXPECT_EQ(sample_token(kLogits, {1.0, 1, 1.0}, rng), 1);  // top_k 1: the first of the tie
}

TEST(Sampling, SeedReproducesTheSequence) {
  RunRandom a, b;
  a.seed(42);
  b.seed(42);
  std::vector<int64_t> x, y;
  for (int i = 0; i < 50; ++i) {
    x.push_back(sample_token(kLogits, {0.9, 0, 1.0}, a));
    y.push_back(sample_token(kLogits, {0.9, 0, 1.0}, b));
  }
  EXPECT_EQ(x, y);
  b.seed(43);
  std::vector<int64_t> z;
  for (int i = 0; i < 50; ++i) z.push_back(sample_token(kLogits, {0.9, 0, 1.0}, b));
  EXPECT_NE(x, z);
}

// Frequencies of n draws against probabilities p: every count within 5 standard deviations.
void expect_distribution(const std::vector<float>& logits, const SamplingParams& params,
                         const std::vector<double>& p) {
  RunRandom rng;
  rng.seed(7);
  const int n = 40000;
  std::vector<int> count(logits.size(), 0);
  for (int i = 0; i < n; ++i) ++count[sample_token(logits, params, rng)];
  for (size_t i = 0; i < p.size(); ++i) {
    const double sd = std::sqrt(n * p[i] * (1 - p[i])) + 1;
    EXPECT_NEAR(count[i], n * p[i], 5 * sd)
        << "token " << i << " temperature " << params.temperature;
  }
}

std::vector<double> softmax(const std::vector<float>& l, double temperature,
                            const std::vector<bool>& keep) {
  std::vector<double> p(l.size(), 0.0);
  double z = 0;
  for (size_t i = 0; i < l.size(); ++i)
    if (keep[i]) z += p[i] = std::exp(l[i] / temperature);
  for (double& e : p) e /= z;
  return p;
}

TEST(Sampling, DrawsFollowSoftmaxAfterFiltering) {
  const std::vector<bool> all(kLogits.size(), true);
  expect_distribution(kLogits, {1.0, 0, 1.0}, softmax(kLogits, 1.0, all));
  expect_distribution(kLogits, {0.5, 0, 1.0}, softmax(kLogits, 0.5, all));
  expect_distribution(kLogits, {2.0, 0, 1.0}, softmax(kLogits, 2.0, all));
  // top_k 3: ids 1, 3 (tied at 3.0) and 2.
  expect_distribution(kLogits, {1.0, 3, 1.0},
                      softmax(kLogits, 1.0, {false, true, true, true, false, false}));
  // top_p 0.8: untempered probabilities 0.39, 0.39, 0.14, ... -> ids 1, 3, 2 reach 0.8.
  expect_distribution(kLogits, {1.5, 0, 0.8},
                      softmax(kLogits, 1.5, {false, true, true, true, false, false}));
}

TEST(Sampling, BadArguments) {
  RunRandom rng;
  EXPECT_THROW(sample_token(kLogits, {-1.0, 0, 1.0}, rng), RuntimeError);
  EXPECT_THROW(sample_token(kLogits, {1.0, -2, 1.0}, rng), RuntimeError);
  EXPECT_THROW(sample_token(kLogits, {1.0, 0, 0.0}, rng), RuntimeError);
  EXPECT_THROW(sample_token(kLogits, {1.0, 0, 1.5}, rng), RuntimeError);
  EXPECT_THROW(sample_token({}, {1.0, 0, 1.0}, rng), RuntimeError);
  const std::vector<float> nan = {1.0f, std::nanf("")};
  EXPECT_THROW(sample_token(nan, {1.0, 0, 1.0}, rng), RuntimeError);
}

}  // namespace
}  // namespace tl
