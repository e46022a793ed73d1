// Element-wise ops. Both paths evaluate the same scalar functions in f32 and round once; the
// fast path converts whole runs with the vectorised convert.h, loops over contiguous inner runs
// (after merging dims that are contiguous in all operands) and spreads rows over the pool, so
// it agrees with the reference bit for bit.
#include <algorithm>
#include <cmath>
#include <limits>

#include "vm/cpu/convert.h"
#include "vm/cpu/kernels.h"

namespace tl::cpu {

namespace {
constexpr int64_t kChunk = 2048;           // elements converted per step (fits L1 as f32)
constexpr int64_t kParallelMin = 1 << 15;  // below this, threads cost more than they save
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
}  // namespace

float unary_f32(UnaryOp op, float x) {
  switch (op) {
    case UnaryOp::Neg:
      return -x;
    case UnaryOp::Relu:
      return x < 0.0f ? 0.0f : x;  // NaN passes through, as in PyTorch
    case UnaryOp::Gelu: {
      // PyTorch gelu(approximate='tanh'): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
      const float inner = 0.7978845608028654f * (x + 0.044715f * x * x * x);
      return 0.5f * x * (1.0f + std::tanh(inner));
    }
    case UnaryOp::Silu:
      return x / (1.0f + std::exp(-x));
    case UnaryOp::Sigmoid:
      return 1.0f / (1.0f + std::exp(-x));
    case UnaryOp::Tanh:
      return std::tanh(x);
    case UnaryOp::Exp:
      return std::exp(x);
    case UnaryOp::Log:
      return std::log(x);
    case UnaryOp::Sqrt:
      return std::sqrt(x);
    case UnaryOp::Abs:
      return std::fabs(x);
  }
  return kNaN;
}

float binary_f32(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::Add:
      return a + b;
    case BinaryOp::Sub:
      return a - b;
    case BinaryOp::Mul:
      return a * b;
    case BinaryOp::Div:
      return a / b;
    case BinaryOp::Mod: {
      // Python/NumPy floor-mod: the result takes the sign of the divisor; x % 0 is NaN.
      if (b == 0.0f) return kNaN;
      float r = std::fmod(a, b);
      if (r != 0.0f) {
        if ((r < 0.0f) != (b < 0.0f)) r += b;
      } else {
        r = std::copysign(0.0f, b);
      }
      return r;
    }
    case BinaryOp::Pow:
      return std::pow(a, b);
    case BinaryOp::Maximum:
      if (std::isnan(a) || std::isnan(b)) return kNaN;  // NumPy maximum propagates NaN
      return a > b ? a : b;
    case BinaryOp::Minimum:
      if (std::isnan(a) || std::isnan(b)) return kNaN;
      return a < b ? a : b;
  }
  return kNaN;
}

// ---- unary -----------------------------------------------------------------------------------

namespace {
// One loop per op, so that the compiler sees a fixed body (and vectorises the simple ones).
template <UnaryOp Op>
void unary_loop(float* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i) v[i] = unary_f32(Op, v[i]);
}

void unary_inplace(UnaryOp op, float* v, int64_t n) {
  switch (op) {
#define X(e, s)                   \
  case UnaryOp::e:                \
    unary_loop<UnaryOp::e>(v, n); \
    break;
    TL_UNARY_OPS(X)
#undef X
  }
}

template <BinaryOp Op>
void binary_loop(const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t n) {
  if (sa && sb)
    for (int64_t i = 0; i < n; ++i) y[i] = binary_f32(Op, a[i], b[i]);
  else if (sa)
    for (int64_t i = 0; i < n; ++i) y[i] = binary_f32(Op, a[i], b[0]);
  else if (sb)
    for (int64_t i = 0; i < n; ++i) y[i] = binary_f32(Op, a[0], b[i]);
  else
    for (int64_t i = 0; i < n; ++i) y[i] = binary_f32(Op, a[0], b[0]);
}

// a and b hold n values (or one value when their stride is 0).
void binary_run(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* y,
                int64_t n) {
  switch (op) {
#define X(e, s)                                   \
  case BinaryOp::e:                               \
    binary_loop<BinaryOp::e>(a, sa, b, sb, y, n); \
    break;
    TL_BINARY_OPS(X)
#undef X
  }
}
}  // namespace

void unary(const Ctx& ctx, UnaryOp op, const f16_bits* x, f16_bits* y, int64_t n) {
  if (!ctx.fast) {
    for (int64_t i = 0; i < n; ++i) y[i] = f32_to_f16(unary_f32(op, f16_to_f32(x[i])));
    return;
  }
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  auto body = [&](int64_t c) {
    float buf[kChunk];
    const int64_t i0 = c * kChunk, len = std::min(kChunk, n - i0);
    f16_to_f32_row(x + i0, buf, len);
    unary_inplace(op, buf, len);
    f32_to_f16_row(buf, y + i0, len);
  };
  parallel(n >= kParallelMin ? ctx : Ctx{nullptr, true}, chunks, body);
}

// ---- binary with broadcasting ------------------------------------------------------------------

BroadcastView broadcast_view(const Shape& out, const Shape& a, const Shape& b) {
  const size_t r = out.rank();
  BroadcastView v{out.dims(), std::vector<int64_t>(r, 0), std::vector<int64_t>(r, 0)};
  auto fill = [&](const Shape& s, std::vector<int64_t>& st) {
    const auto strides = s.strides();
    const size_t off = r - s.rank();
    for (size_t i = 0; i < s.rank(); ++i) st[off + i] = s[i] == 1 ? 0 : strides[i];
  };
  fill(a, v.sa);
  fill(b, v.sb);
  return v;
}

namespace {
// Merges adjacent dims that are contiguous (or broadcast) in both operands, and drops size-1
// dims, so that the innermost loop runs as long as possible. Keeps at least one dim.
BroadcastView coalesce(const BroadcastView& in) {
  BroadcastView v;
  for (size_t i = 0; i < in.dims.size(); ++i) {
    if (in.dims[i] == 1) continue;
    if (!v.dims.empty() && v.sa.back() == in.sa[i] * in.dims[i] &&
        v.sb.back() == in.sb[i] * in.dims[i]) {
      v.dims.back() *= in.dims[i];
      v.sa.back() = in.sa[i];
      v.sb.back() = in.sb[i];
      continue;
    }
    v.dims.push_back(in.dims[i]);
    v.sa.push_back(in.sa[i]);
    v.sb.push_back(in.sb[i]);
  }
  if (v.dims.empty()) v = {{1}, {0}, {0}};
  return v;
}
}  // namespace

void binary(const Ctx& ctx, BinaryOp op, const f16_bits* a, const f16_bits* b, f16_bits* y,
            const BroadcastView& view) {
  int64_t n = 1;
  for (int64_t d : view.dims) n *= d;
  if (n == 0) return;
  const size_t rank = view.dims.size();
  if (!ctx.fast) {
    // Reference: unravel every output index.
    for (int64_t i = 0; i < n; ++i) {
      int64_t rem = i, oa = 0, ob = 0;
      for (size_t d = rank; d-- > 0;) {
        const int64_t c = rem % view.dims[d];
        rem /= view.dims[d];
        oa += c * view.sa[d];
        ob += c * view.sb[d];
      }
      y[i] = f32_to_f16(binary_f32(op, f16_to_f32(a[oa]), f16_to_f32(b[ob])));
    }
    return;
  }
  const BroadcastView v = coalesce(view);
  const size_t r = v.dims.size();
  const int64_t inner = v.dims[r - 1];
  const int64_t ia = v.sa[r - 1], ib = v.sb[r - 1];  // 0 or 1 after coalescing
  const int64_t rows = n / inner;
  const int64_t chunks_per_row = (inner + kChunk - 1) / kChunk;
  auto body = [&](int64_t task) {
    const int64_t row = task / chunks_per_row, c0 = task % chunks_per_row * kChunk;
    const int64_t len = std::min(kChunk, inner - c0);
    int64_t rem = row, oa = 0, ob = 0;
    for (size_t d = r - 1; d-- > 0;) {
      const int64_t c = rem % v.dims[d];
      rem /= v.dims[d];
      oa += c * v.sa[d];
      ob += c * v.sb[d];
    }
    float fa[kChunk], fb[kChunk], fy[kChunk];
    f16_to_f32_row(a + oa + c0 * ia, fa, ia ? len : 1);
    f16_to_f32_row(b + ob + c0 * ib, fb, ib ? len : 1);
    binary_run(op, fa, ia, fb, ib, fy, len);
    f32_to_f16_row(fy, y + row * inner + c0, len);
  };
  parallel(n >= kParallelMin ? ctx : Ctx{nullptr, true}, rows * chunks_per_row, body);
}

void binary_scalar(const Ctx& ctx, BinaryOp op, const f16_bits* a, float s, bool scalar_on_left,
                   f16_bits* y, int64_t n) {
  if (!ctx.fast) {
    for (int64_t i = 0; i < n; ++i) {
      const float x = f16_to_f32(a[i]);
      y[i] = f32_to_f16(scalar_on_left ? binary_f32(op, s, x) : binary_f32(op, x, s));
    }
    return;
  }
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  auto body = [&](int64_t c) {
    float fa[kChunk], fy[kChunk];
    const int64_t i0 = c * kChunk, len = std::min(kChunk, n - i0);
    f16_to_f32_row(a + i0, fa, len);
    if (scalar_on_left)
      binary_run(op, &s, 0, fa, 1, fy, len);
    else
      binary_run(op, fa, 1, &s, 0, fy, len);
    f32_to_f16_row(fy, y + i0, len);
  };
  parallel(n >= kParallelMin ? ctx : Ctx{nullptr, true}, chunks, body);
}

}  // namespace tl::cpu
