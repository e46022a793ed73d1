// Reductions, softmax and normalisations. Accumulation is in f32, in index order, in both paths;
// the fast path only converts whole rows with convert.h and spreads rows over the pool, so the
// two agree bit for bit (tests/cpu check equality, and both against float64).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "vm/cpu/convert.h"
#include "vm/cpu/kernels.h"

namespace tl::cpu {

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Folds one more element into a running reduction. `acc` starts at the first element for
// Max/Min, at 0 for Sum/Mean. NaN wins for max/min, as in NumPy.
struct Acc {
  float v = 0.0f;
  bool nan = false;
};

inline void fold(ReduceOp op, Acc& a, float x, int64_t j) {
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Mean:
      a.v += x;
      break;
    case ReduceOp::Max:
      if (a.nan) break;
      if (std::isnan(x)) {
        a.nan = true;
        a.v = kNaN;
      } else if (j == 0 || x > a.v) {
        a.v = x;
      }
      break;
    case ReduceOp::Min:
      if (a.nan) break;
      if (std::isnan(x)) {
        a.nan = true;
        a.v = kNaN;
      } else if (j == 0 || x < a.v) {
        a.v = x;
      }
      break;
  }
}

inline float finish(ReduceOp op, const Acc& a, int64_t n) {
  switch (op) {
    case ReduceOp::Mean:
      return a.v / static_cast<float>(n);
    default:
      return a.v;
  }
}

// Rows are converted in blocks of this many elements (fast path).
constexpr int64_t kBlock = 4096;
constexpr int64_t kParallelMin = 1 << 15;
}  // namespace

void reduce(const Ctx& ctx, ReduceOp op, const f16_bits* x, f16_bits* y, int64_t outer, int64_t n,
            int64_t inner) {
  if (!ctx.fast) {
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        Acc a;
        for (int64_t j = 0; j < n; ++j) fold(op, a, f16_to_f32(x[(o * n + j) * inner + i]), j);
        y[o * inner + i] = f32_to_f16(finish(op, a, n));
      }
    return;
  }
  const Ctx run = outer * n * inner >= kParallelMin ? ctx : Ctx{nullptr, true};
  if (inner == 1) {
    parallel(run, outer, [&](int64_t o) {
      std::vector<float> buf(static_cast<size_t>(std::min(n, kBlock)));
      Acc a;
      for (int64_t j0 = 0; j0 < n; j0 += kBlock) {
        const int64_t len = std::min(kBlock, n - j0);
        f16_to_f32_row(x + o * n + j0, buf.data(), len);
        for (int64_t j = 0; j < len; ++j) fold(op, a, buf[j], j0 + j);
      }
      y[o] = f32_to_f16(finish(op, a, n));
    });
    return;
  }
  // inner > 1: fold whole rows of `inner` values at once (same order per output element).
  const int64_t tile = std::min<int64_t>(inner, kBlock);
  const int64_t tiles = (inner + tile - 1) / tile;
  parallel(run, outer * tiles, [&](int64_t task) {
    const int64_t o = task / tiles, i0 = task % tiles * tile, len = std::min(tile, inner - i0);
    std::vector<float> buf(static_cast<size_t>(len));
    std::vector<Acc> acc(static_cast<size_t>(len));
    for (int64_t j = 0; j < n; ++j) {
      f16_to_f32_row(x + (o * n + j) * inner + i0, buf.data(), len);
      for (int64_t i = 0; i < len; ++i) fold(op, acc[i], buf[i], j);
    }
    for (int64_t i = 0; i < len; ++i) buf[i] = finish(op, acc[i], n);
    f32_to_f16_row(buf.data(), y + o * inner + i0, len);
  });
}

namespace {
// Stable softmax of n values v (in place): max subtracted, f32 sum in index order.
void softmax_row(float* v, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  bool nan = false;
  for (int64_t j = 0; j < n; ++j) {
    if (std::isnan(v[j])) nan = true;
    m = std::max(m, v[j]);
  }
  if (nan) m = kNaN;
  float sum = 0.0f;
  for (int64_t j = 0; j < n; ++j) {
    v[j] = std::exp(v[j] - m);
    sum += v[j];
  }
  for (int64_t j = 0; j < n; ++j) v[j] = v[j] / sum;
}

void rms_norm_row(float* v, const float* w, int64_t n, float eps) {
  float ss = 0.0f;
  for (int64_t j = 0; j < n; ++j) ss += v[j] * v[j];
  const float r = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
  for (int64_t j = 0; j < n; ++j) v[j] = w ? v[j] * r * w[j] : v[j] * r;
}

void layer_norm_row(float* v, const float* w, const float* b, int64_t n, float eps) {
  float sum = 0.0f;
  for (int64_t j = 0; j < n; ++j) sum += v[j];
  const float mean = sum / static_cast<float>(n);
  float var = 0.0f;
  for (int64_t j = 0; j < n; ++j) var += (v[j] - mean) * (v[j] - mean);
  const float r = 1.0f / std::sqrt(var / static_cast<float>(n) + eps);
  for (int64_t j = 0; j < n; ++j) {
    float t = (v[j] - mean) * r;
    if (w) t = t * w[j];
    if (b) t = t + b[j];
    v[j] = t;
  }
}

// Applies `row_fn` to every row of length n. Reference: scalar conversions, one row at a time;
// fast: bulk conversions, rows spread over the pool. The arithmetic is the same.
template <class RowFn>
void for_rows(const Ctx& ctx, const f16_bits* x, f16_bits* y, int64_t rows, int64_t n,
              RowFn row_fn) {
  if (!ctx.fast) {
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < n; ++j) v[j] = f16_to_f32(x[r * n + j]);
      row_fn(v.data());
      for (int64_t j = 0; j < n; ++j) y[r * n + j] = f32_to_f16(v[j]);
    }
    return;
  }
  const Ctx run = rows * n >= kParallelMin ? ctx : Ctx{nullptr, true};
  parallel(run, rows, [&](int64_t r) {
    std::vector<float> v(static_cast<size_t>(n));
    f16_to_f32_row(x + r * n, v.data(), n);
    row_fn(v.data());
    f32_to_f16_row(v.data(), y + r * n, n);
  });
}

std::vector<float> widen(const f16_bits* p, int64_t n) {
  std::vector<float> v;
  if (p) {
    v.resize(static_cast<size_t>(n));
    f16_to_f32_row_ref(p, v.data(), n);
  }
  return v;
}
}  // namespace

void softmax(const Ctx& ctx, const f16_bits* x, f16_bits* y, int64_t outer, int64_t n,
             int64_t inner) {
  if (inner == 1) {
    for_rows(ctx, x, y, outer, n, [n](float* v) { softmax_row(v, n); });
    return;
  }
  // Softmax over a strided dim: gather each column, same row function.
  auto column = [&](int64_t t) {
    const int64_t o = t / inner, i = t % inner;
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) v[j] = f16_to_f32(x[(o * n + j) * inner + i]);
    softmax_row(v.data(), n);
    for (int64_t j = 0; j < n; ++j) y[(o * n + j) * inner + i] = f32_to_f16(v[j]);
  };
  const bool par = ctx.fast && outer * n * inner >= kParallelMin;
  parallel(par ? ctx : Ctx{nullptr, false}, outer * inner, column);
}

void rms_norm(const Ctx& ctx, const f16_bits* x, const f16_bits* w, f16_bits* y, int64_t rows,
              int64_t n, float eps) {
  const std::vector<float> wf = widen(w, n);
  const float* wp = w ? wf.data() : nullptr;
  for_rows(ctx, x, y, rows, n, [&](float* v) { rms_norm_row(v, wp, n, eps); });
}

void layer_norm(const Ctx& ctx, const f16_bits* x, const f16_bits* w, const f16_bits* b,
                f16_bits* y, int64_t rows, int64_t n, float eps) {
  const std::vector<float> wf = widen(w, n), bf = widen(b, n);
  const float* wp = w ? wf.data() : nullptr;
  const float* bp = b ? bf.data() : nullptr;
  for_rows(ctx, x, y, rows, n, [&](float* v) { layer_norm_row(v, wp, bp, n, eps); });
}

}  // namespace tl::cpu
