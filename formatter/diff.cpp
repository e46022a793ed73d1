// Unified diff of two texts by lines: Myers' O((N+M)D) algorithm on what lies between the common
// prefix and suffix, hunks with 3 lines of context (the format of `diff -u`, readable by `patch`).
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "formatter/format.h"

namespace tl::format {

namespace {

constexpr size_t kContext = 3;
// Past this many differing lines the script is "delete all, insert all" (keeps memory bounded).
constexpr int kMaxEdits = 2000;

// Lines keep their '\n', so that a last line without one differs from the same line with one.
std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t nl = s.find('\n', i);
    size_t end = nl == s.npos ? s.size() : nl + 1;
    out.push_back(s.substr(i, end - i));
    i = end;
  }
  return out;
}

struct Edit {
  char op;      // ' ' kept, '-' only in a, '+' only in b
  size_t a, b;  // lines of a and b before this one
};

// Edits turning a[lo_a, hi_a) into b[lo_b, hi_b), appended to `out`.
void myers(const std::vector<std::string_view>& a, size_t lo_a, size_t hi_a,
           const std::vector<std::string_view>& b, size_t lo_b, size_t hi_b,
           std::vector<Edit>& out) {
  const int n = static_cast<int>(hi_a - lo_a), m = static_cast<int>(hi_b - lo_b);
  auto A = [&](int i) { return a[lo_a + static_cast<size_t>(i)]; };
  auto B = [&](int j) { return b[lo_b + static_cast<size_t>(j)]; };
  const int max = std::min(n + m, kMaxEdits);
  std::vector<int> v(static_cast<size_t>(2 * max + 3), 0);
  const int off = max + 1;
  std::vector<std::vector<int>> trace;  // trace[d][k + d]: furthest x on diagonal k after d edits
  int found = -1;
  for (int d = 0; d <= max && found < 0; ++d) {
    for (int k = -d; k <= d; k += 2) {
      int x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1]
                                                                       : v[off + k - 1] + 1;
      int y = x - k;
      while (x < n && y < m && A(x) == B(y)) ++x, ++y;
      v[off + k] = x;
      if (x >= n && y >= m) found = d;
    }
    trace.emplace_back(v.begin() + off - d, v.begin() + off + d + 1);
  }
  std::vector<Edit> rev;
  if (found < 0) {  // too different: replace the whole middle
    for (int j = m - 1; j >= 0; --j) rev.push_back({'+', lo_a + n, lo_b + j});
    for (int i = n - 1; i >= 0; --i) rev.push_back({'-', lo_a + i, lo_b});
  } else {
    int x = n, y = m;
    for (int d = found; d > 0; --d) {
      const std::vector<int>& prev = trace[static_cast<size_t>(d - 1)];
      auto pv = [&](int k) { return prev[static_cast<size_t>(k + d - 1)]; };
      int k = x - y;
      int pk = (k == -d || (k != d && pv(k - 1) < pv(k + 1))) ? k + 1 : k - 1;
      int px = pv(pk), py = px - pk;
      while (x > px && y > py) {
        --x, --y;
        rev.push_back({' ', lo_a + x, lo_b + y});
      }
      if (x == px) {
        --y;
        rev.push_back({'+', lo_a + x, lo_b + y});
      } else {
        --x;
        rev.push_back({'-', lo_a + x, lo_b + y});
      }
    }
    while (x > 0 && y > 0) {
      --x, --y;
      rev.push_back({' ', lo_a + x, lo_b + y});
    }
  }
  out.insert(out.end(), rev.rbegin(), rev.rend());
}

// The whole edit script from a to b: the common prefix and suffix kept, Myers between them.
std::vector<Edit> edit_script(const std::vector<std::string_view>& a,
                              const std::vector<std::string_view>& b) {
  size_t na = a.size(), nb = b.size();
  size_t pre = 0;
  while (pre < na && pre < nb && a[pre] == b[pre]) ++pre;
  size_t suf = 0;
  while (suf < na - pre && suf < nb - pre && a[na - 1 - suf] == b[nb - 1 - suf]) ++suf;
  std::vector<Edit> edits;
  for (size_t i = 0; i < pre; ++i) edits.push_back({' ', i, i});
  myers(a, pre, na - suf, b, pre, nb - suf, edits);
  for (size_t i = 0; i < suf; ++i) edits.push_back({' ', na - suf + i, nb - suf + i});
  return edits;
}

}  // namespace

std::vector<LineHunk> line_hunks(std::string_view before, std::string_view after) {
  std::vector<LineHunk> out;
  if (before == after) return out;
  std::vector<std::string_view> a = split(before), b = split(after);
  std::vector<Edit> edits = edit_script(a, b);
  for (size_t i = 0; i < edits.size();) {
    if (edits[i].op == ' ') {
      ++i;
      continue;
    }
    LineHunk h{edits[i].a, edits[i].a, edits[i].b, edits[i].b};
    for (; i < edits.size() && edits[i].op != ' '; ++i) {
      if (edits[i].op == '-') h.a_end = edits[i].a + 1;
      if (edits[i].op == '+') h.b_end = edits[i].b + 1;
    }
    h.a_end = std::max(h.a_end, h.a_begin);
    h.b_end = std::max(h.b_end, h.b_begin);
    out.push_back(h);
  }
  return out;
}

std::string unified_diff(std::string_view before, std::string_view after, std::string_view name) {
  if (before == after) return {};
  std::vector<std::string_view> a = split(before), b = split(after);
  std::vector<Edit> edits = edit_script(a, b);

  std::string out = fmt::format("--- {}\n+++ {}\n", name, name);
  auto line_out = [&](const Edit& e) {
    std::string_view line = e.op == '+' ? b[e.b] : a[e.a];
    out += e.op;
    out += line;
    if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
  };
  size_t i = 0;
  while (i < edits.size()) {
    if (edits[i].op == ' ') {
      ++i;
      continue;
    }
    size_t start = i >= kContext ? i - kContext : 0;
    size_t end = i;  // one past the last change of the hunk
    size_t j = i;
    while (j < edits.size()) {
      if (edits[j].op != ' ') {
        end = j + 1;
        ++j;
        continue;
      }
      size_t k = j;
      while (k < edits.size() && edits[k].op == ' ') ++k;
      if (k == edits.size() || k - j > 2 * kContext) break;
      j = k;
    }
    size_t stop = std::min(edits.size(), end + kContext);
    size_t ca = 0, cb = 0;
    for (size_t k = start; k < stop; ++k) {
      if (edits[k].op != '+') ++ca;
      if (edits[k].op != '-') ++cb;
    }
    size_t sa = edits[start].a + (ca ? 1 : 0), sb = edits[start].b + (cb ? 1 : 0);
    out += fmt::format("@@ -{},{} +{},{} @@\n", sa, ca, sb, cb);
    for (size_t k = start; k < stop; ++k) line_out(edits[k]);
    i = stop;
  }
  return out;
}

}  // namespace tl::format
