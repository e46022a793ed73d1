// "Did you mean" suggestions: the names closest to a misspelt one, by edit distance.
//
// Header-only so that the checker, the LSP and model I/O share one definition.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tl {

// Levenshtein distance (insertions, deletions, substitutions all cost 1), O(|a|*|b|) time,
// O(|b|) memory.
inline size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];  // row[i-1][j-1]
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      const size_t subst = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({up + 1, row[j - 1] + 1, subst});
      diag = up;
    }
  }
  return row[b.size()];
}

// Names longer than this are neither given suggestions nor suggested: each comparison then costs
// at most 256 x 256 steps, so a megabyte-long misspelling cannot stall a tool (or the LSP).
inline constexpr size_t kMaxSuggestedNameLength = 256;
// At most this many candidates are compared (the first ones, in the candidates' order).
inline constexpr size_t kMaxSuggestionCandidates = 100000;

// Up to `max` of `candidates` closest to `name`, best first (ties keep the candidates' order).
// Candidates farther than about a third of the longer name's length are not suggested: a
// suggestion that shares almost nothing with the name only confuses.
template <typename Range>
std::vector<std::string> closest_names(std::string_view name, const Range& candidates,
                                       size_t max = 3) {
  struct Scored {
    size_t distance;
    size_t order;
    std::string_view candidate;
  };
  std::vector<Scored> scored;
  if (name.size() > kMaxSuggestedNameLength) return {};
  size_t order = 0;
  for (const auto& c : candidates) {
    if (order == kMaxSuggestionCandidates) break;
    const std::string_view cand(c);
    const size_t limit = std::max<size_t>(2, std::max(name.size(), cand.size()) / 3);
    // The length difference is a lower bound of the distance: skip the quadratic part.
    const size_t length_gap =
        name.size() > cand.size() ? name.size() - cand.size() : cand.size() - name.size();
    if (cand.size() > kMaxSuggestedNameLength || length_gap > limit) {
      ++order;
      continue;
    }
    const size_t d = edit_distance(name, cand);
    if (d <= limit && cand != name) scored.push_back({d, order, cand});
    ++order;
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const Scored& x, const Scored& y) { return x.distance < y.distance; });
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < max; ++i) out.emplace_back(scored[i].candidate);
  return out;
}

}  // namespace tl
