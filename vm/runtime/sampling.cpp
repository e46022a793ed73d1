#include "vm/runtime/sampling.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "vm/core/error.h"

namespace tl {

double RunRandom::uniform() {
  if (!gen_)
    gen_.emplace((static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}());
  return static_cast<double>((*gen_)() >> 11) * 0x1.0p-53;
}

int64_t sample_token(std::span<const float> logits, const SamplingParams& p, RunRandom& rng) {
  if (logits.empty()) throw RuntimeError("temperature_sample: no logits");
  if (!(p.temperature >= 0))
    throw RuntimeError(
        fmt::format("temperature_sample: temperature must be >= 0, got {}", p.temperature));
  if (p.top_k < 0)
    throw RuntimeError(fmt::format("temperature_sample: top_k must be >= 0, got {}", p.top_k));
  if (!(p.top_p > 0 && p.top_p <= 1))
    throw RuntimeError(fmt::format("temperature_sample: top_p must be in (0, 1], got {}", p.top_p));
  for (size_t i = 0; i < logits.size(); ++i)
    if (std::isnan(logits[i]))
      throw RuntimeError(fmt::format("temperature_sample: logit {} is NaN", i));
  if (p.temperature == 0) {
    return std::max_element(logits.begin(), logits.end()) - logits.begin();  // first maximum
  }
  // Candidates by logit, largest first; ties keep the lower id first.
  std::vector<int64_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), int64_t{0});
  const auto by_logit = [&](int64_t a, int64_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  size_t keep = ids.size();
  if (p.top_k > 0 && static_cast<size_t>(p.top_k) < keep) {
    keep = static_cast<size_t>(p.top_k);
    std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(keep), ids.end(),
                      by_logit);
  } else {
    std::sort(ids.begin(), ids.end(), by_logit);
  }
  const double top = logits[ids[0]];
  std::vector<double> w(keep);
  if (p.top_p < 1) {
    double z = 0;
    for (size_t i = 0; i < keep; ++i)
      z += w[i] = std::exp(static_cast<double>(logits[ids[i]]) - top);
    double cum = 0;
    for (size_t i = 0; i < keep; ++i) {
      cum += w[i] / z;
      if (cum >= p.top_p) {
        keep = i + 1;
        break;
      }
    }
  }
  double z = 0;
  for (size_t i = 0; i < keep; ++i)
    z += w[i] = std::exp((static_cast<double>(logits[ids[i]]) - top) / p.temperature);
  const double u = rng.uniform() * z;
  double cum = 0;
  for (size_t i = 0; i < keep; ++i) {
    cum += w[i];
    if (u < cum) return ids[i];
  }
  return ids[keep - 1];  // u within rounding of z
}

}  // namespace tl
