// Element-wise ops. Both paths evaluate the same scalar functions in f32 and round once; the
// fast path converts whole runs with the vectorised convert.h, loops over contiguous inner runs
// (after merging dims that are contiguous in all operands) and spreads rows over the pool, so
// it agrees with the reference bit for bit.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <memory>

#include "vm/cpu/convert.h"
#include "vm/cpu/kernels.h"
#include "vm/cpu/simd.h"

namespace tl::cpu {

namespace {
constexpr int64_t kChunk = 2048;           // elements converted per step (fits L1 as f32)
constexpr int64_t kParallelMin = 1 << 15;  // below this, threads cost more than they save
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
}  // namespace

// e^x in f32 with plain arithmetic (no libm call), so that the compiler vectorises the loops that
// use it (exp, silu, sigmoid, gelu: libm's expf/tanhf kept those scalar, ~10x slower) while the
// reference, running the same code one element at a time, agrees bit for bit. Cephes' expf:
// x = n ln2 + r with |r| <= ln2/2 (ln2 split in two for an exact reduction), e^r by a degree-6
// polynomial, times 2^n applied as 2^a * 2^b (a + b = n, both normal numbers, so that overflow to
// inf and gradual underflow to subnormals come out of the last multiplication).
// Error <= 2 ulp of f32 (tests: against float64 over the whole range).
namespace {
// Always inlined, so that the per-op loops below see straight-line arithmetic they can vectorise.
[[gnu::always_inline]] inline float exp_poly(float x) {
  const float xc = x != x ? 0.0f : std::clamp(x, -104.0f, 89.0f);  // NaN: no int conversion
  const float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest
  const float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const int32_t ni = static_cast<int32_t>(n), a = ni >> 1, b = ni - a;
  const float y = p * std::bit_cast<float>((a + 127) << 23) * std::bit_cast<float>((b + 127) << 23);
  return x != x ? x : x > 89.0f ? kInf : y;
}
}  // namespace

float exp_f32(float x) {
  return exp_poly(x);
}

namespace {
[[gnu::always_inline]] inline float unary_impl(UnaryOp op, float x) {
  switch (op) {
    case UnaryOp::Neg:
      return -x;
    case UnaryOp::Relu:
      return x < 0.0f ? 0.0f : x;  // NaN passes through, as in PyTorch
    case UnaryOp::Gelu: {
      // PyTorch gelu(approximate='tanh'): 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3),
      // computed as x * sigmoid(2u) = x / (1 + e^(-2u)): the same function, without the
      // cancellation of 1 + tanh(u) for negative x, and vectorisable (exp_f32).
      const float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
      return x / (1.0f + exp_poly(-2.0f * u));
    }
    case UnaryOp::Silu:
      return x / (1.0f + exp_poly(-x));
    case UnaryOp::Sigmoid:
      return 1.0f / (1.0f + exp_poly(-x));
    case UnaryOp::Tanh:
      return std::tanh(x);
    case UnaryOp::Exp:
      return exp_poly(x);
    case UnaryOp::Log:
      return std::log(x);
    case UnaryOp::Sqrt:
      return std::sqrt(x);
    case UnaryOp::Abs:
      return std::fabs(x);
    case UnaryOp::GeluErf:
      // PyTorch's default gelu, x * Phi(x) = x/2 * erfc(-x/sqrt(2)): erfc keeps the small
      // negative side exact, where 1 + erf(x/sqrt(2)) cancels.
      return 0.5f * x * std::erfc(-x * 0.70710678118654752f);
  }
  return kNaN;
}
}  // namespace

float unary_f32(UnaryOp op, float x) {
  return unary_impl(op, x);
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
    case BinaryOp::Lt:
      return a < b ? 1.0f : 0.0f;
    case BinaryOp::Le:
      return a <= b ? 1.0f : 0.0f;
    case BinaryOp::Gt:
      return a > b ? 1.0f : 0.0f;
    case BinaryOp::Ge:
      return a >= b ? 1.0f : 0.0f;
    case BinaryOp::Eq:
      return a == b ? 1.0f : 0.0f;
    case BinaryOp::Ne:
      return a != b ? 1.0f : 0.0f;
    case BinaryOp::KeepWhere:
      return a != 0.0f ? b : 0.0f;
    case BinaryOp::KeepWhereNot:
      return a == 0.0f ? b : 0.0f;
    case BinaryOp::FloorDiv:
      return std::floor(a / b);
  }
  return kNaN;
}

// ---- unary -----------------------------------------------------------------------------------

namespace {
// One loop per op, so that the compiler sees a fixed body (and vectorises it). Inlined into each
// target clone of unary_run/binary_run: a loop left out of line is compiled once, for baseline
// x86-64 (scalar SSE), whatever clone calls it.
template <UnaryOp Op>
[[gnu::always_inline]] inline void unary_loop(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = unary_impl(Op, x[i]);
}

// y[i] = op(x[i]); x == y is allowed.
TL_CLONES_X86 void unary_run(UnaryOp op, const float* x, float* y, int64_t n) {
  switch (op) {
#define X(e, s)                      \
  case UnaryOp::e:                   \
    unary_loop<UnaryOp::e>(x, y, n); \
    break;
    TL_UNARY_OPS(X)
#undef X
  }
}

template <BinaryOp Op>
[[gnu::always_inline]] inline void binary_loop(const float* a, int64_t sa, const float* b,
                                               int64_t sb, float* y, int64_t n) {
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
TL_CLONES_X86 void binary_run(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb,
                              float* y, int64_t n) {
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
    unary_run(op, buf, buf, len);
    f32_to_f16_row(buf, y + i0, len);
  };
  parallel(n >= kParallelMin ? ctx : Ctx{nullptr, true}, chunks, body);
}

// ---- binary with broadcasting ------------------------------------------------------------------

BroadcastView broadcast_view(const Shape& out, const Shape& a, const Shape& b) {
  return BroadcastView{out.dims(), broadcast_strides(a, out), broadcast_strides(b, out)};
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

// ---- fused element-wise programs -----------------------------------------------------------

namespace {
constexpr int64_t kTile = 1024;  // output elements per tile: a few f32 buffers stay in L1

// One program value (input or step) at one output element, in f32.
float eval_step(const ElementwiseProgram& p, const ElementwiseProgram::Step& s, const float* v) {
  if (s.kind == ElementwiseProgram::StepKind::Unary) return unary_f32(p.unary_op(s), v[s.a]);
  return binary_f32(p.binary_op(s), v[s.a], v[s.b]);
}
}  // namespace

void elementwise(const Ctx& ctx, const ElementwiseProgram& p, std::span<const FusedInput> inputs,
                 const std::vector<int64_t>& out_dims, f16_bits* y) {
  int64_t n = 1;
  for (int64_t d : out_dims) n *= d;
  if (n == 0) return;
  const size_t ni = inputs.size(), nv = ni + p.steps.size();
  if (!ctx.fast) {
    // Reference: unravel every output index, evaluate the whole program in f32, round once.
    std::vector<float> v(nv);
    for (int64_t i = 0; i < n; ++i) {
      for (size_t k = 0; k < ni; ++k) {
        if (!inputs[k].data) {
          v[k] = inputs[k].scalar;
          continue;
        }
        int64_t rem = i, off = 0;
        for (size_t d = out_dims.size(); d-- > 0;) {
          off += rem % out_dims[d] * inputs[k].strides[d];
          rem /= out_dims[d];
        }
        v[k] = f16_to_f32(inputs[k].data[off]);
      }
      for (size_t s = 0; s < p.steps.size(); ++s) v[ni + s] = eval_step(p, p.steps[s], v.data());
      y[i] = f32_to_f16(v[nv - 1]);
    }
    return;
  }

  std::vector<int64_t> dims = out_dims;
  std::vector<std::vector<int64_t>> strides(ni);
  std::vector<std::vector<int64_t>*> coalesced(ni);
  for (size_t k = 0; k < ni; ++k) {
    strides[k] = inputs[k].data ? inputs[k].strides : std::vector<int64_t>(dims.size(), 0);
    coalesced[k] = &strides[k];
  }
  coalesce_dims(dims, coalesced);
  if (dims.empty()) {  // every dim was 1: one element
    dims.push_back(1);
    for (auto& s : strides) s.push_back(0);
  }
  const size_t r = dims.size();
  const int64_t inner = dims[r - 1], rows = n / inner;
  const int64_t tiles_per_row = (inner + kTile - 1) / kTile, tiles = rows * tiles_per_row;
  // Whether each value varies along a tile (stride 1) or is one number for the whole tile (0):
  // a broadcast row or a scalar is converted and computed on once per tile, not per element.
  std::vector<int64_t> step_of(nv, 0);
  for (size_t k = 0; k < ni; ++k) step_of[k] = strides[k][r - 1] != 0;
  for (size_t s = 0; s < p.steps.size(); ++s) {
    const auto& st = p.steps[s];
    step_of[ni + s] =
        step_of[st.a] | (st.kind == ElementwiseProgram::StepKind::Binary ? step_of[st.b] : 0);
  }
  const bool threaded = n >= kParallelMin && ctx.pool;
  const int64_t tasks = threaded ? std::min<int64_t>(tiles, 4 * ctx.pool->size()) : 1;
  auto body = [&](int64_t task) {
    // One f32 tile per value, reused for every tile (not zero-filled: every use writes first).
    const std::unique_ptr<float[]> scratch(new float[nv * kTile]);
    auto buf = [&](size_t v) { return scratch.get() + v * kTile; };
    for (int64_t t = tiles * task / tasks; t < tiles * (task + 1) / tasks; ++t) {
      const int64_t row = t / tiles_per_row, c0 = t % tiles_per_row * kTile;
      const int64_t len = std::min(kTile, inner - c0);
      for (size_t k = 0; k < ni; ++k) {
        if (!inputs[k].data) {
          buf(k)[0] = inputs[k].scalar;
          continue;
        }
        int64_t rem = row, off = c0 * step_of[k];
        for (size_t d = r - 1; d-- > 0;) {
          off += rem % dims[d] * strides[k][d];
          rem /= dims[d];
        }
        f16_to_f32_row(inputs[k].data + off, buf(k), step_of[k] ? len : 1);
      }
      for (size_t s = 0; s < p.steps.size(); ++s) {
        const auto& st = p.steps[s];
        float* out = buf(ni + s);
        const int64_t m = step_of[ni + s] ? len : 1;
        if (st.kind == ElementwiseProgram::StepKind::Unary)
          unary_run(p.unary_op(st), buf(st.a), out, m);
        else
          binary_run(p.binary_op(st), buf(st.a), step_of[st.a], buf(st.b), step_of[st.b], out, m);
      }
      float* result = buf(nv - 1);
      if (!step_of[nv - 1]) std::fill_n(result + 1, len - 1, result[0]);
      f32_to_f16_row(result, y + row * inner + c0, len);
    }
  };
  parallel(threaded ? ctx : Ctx{nullptr, true}, tasks, body);
}

}  // namespace tl::cpu
