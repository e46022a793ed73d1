// Fast paths against the reference kernels on random shapes: bit-identical where the arithmetic
// is the same (element-wise, reductions, norms, softmax, data movement); for products, both are
// checked against float64 with the same bound (their summation orders differ).
#include "tests/cpu/products.h"

namespace tl::cpu_test {
namespace {

CpuBackend& ref() {
  return reference_backend();
}
CpuBackend& fast() {
  return fast_backend();
}

// Runs `op` on both backends with the same uploaded values and compares bits.
template <class Op>
void same_bits(const std::vector<std::pair<Shape, std::vector<f16_bits>>>& inputs, Op op,
               const std::string& what) {
  std::vector<Tensor> r, f;
  for (const auto& [s, v] : inputs) {
    r.push_back(ref().upload_f16(s, v));
    f.push_back(fast().upload_f16(s, v));
  }
  const Tensor yr = op(ref(), r), yf = op(fast(), f);
  ASSERT_EQ(yr.shape, yf.shape) << what;
  expect_bits_equal(download(ref(), yr), download(fast(), yf), what);
}

const std::vector<int64_t> kSizes = {1, 7, 33, 257, 4099};

TEST(Parity, Unary) {
  Rng rng(100);
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{33}, int64_t{257}, int64_t{70001}}) {
#define X(e, s)                                                                           \
  same_bits(                                                                              \
      {{Shape{n}, random_f16(rng, n, -9, 9)}},                                            \
      [](Backend& b, const std::vector<Tensor>& t) { return b.unary(UnaryOp::e, t[0]); }, \
      std::string(s) + " n=" + std::to_string(n));
    TL_UNARY_OPS(X)
#undef X
  }
}

TEST(Parity, BinaryBroadcasting) {
  Rng rng(101);
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> shapes = {
      {{257}, {257}},      {{33, 7}, {7}}, {{33, 7}, {33, 1}},       {{5, 1, 9}, {1, 4, 1}},
      {{1}, {3, 3}},       {{}, {1, 300}}, {{64, 1024}, {64, 1024}}, {{2, 300, 70}, {300, 1}},
      {{4099, 9}, {1, 9}}, {{0, 5}, {5}}};
  for (const auto& [sa, sb] : shapes) {
    const Shape A(sa), B(sb);
#define X(e, s)                                                                                   \
  same_bits(                                                                                      \
      {{A, random_f16(rng, A.numel(), -4, 4)}, {B, random_f16(rng, B.numel(), -4, 4)}},           \
      [](Backend& b, const std::vector<Tensor>& t) { return b.binary(BinaryOp::e, t[0], t[1]); }, \
      std::string(s) + " " + A.to_string() + B.to_string());
    TL_BINARY_OPS(X)
#undef X
  }
}

TEST(Parity, BinaryScalar) {
  Rng rng(102);
  for (int64_t n : kSizes)
    for (bool left : {false, true})
      same_bits(
          {{Shape{n}, random_f16(rng, n, -4, 4)}},
          [left](Backend& b, const std::vector<Tensor>& t) {
            return b.binary_scalar(BinaryOp::Div, t[0], 0.3f, left);
          },
          "scalar div n=" + std::to_string(n));
}

TEST(Parity, ReductionsSoftmaxNorms) {
  Rng rng(103);
  const std::vector<Shape> shapes = {{1}, {7, 33}, {3, 257, 5}, {2, 40000}, {40000, 3}, {65, 1, 9}};
  for (const Shape& s : shapes) {
    const auto x = random_f16(rng, s.numel(), -3, 3);
    for (int dim = 0; dim < static_cast<int>(s.rank()); ++dim) {
      for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min})
        same_bits(
            {{s, x}},
            [&](Backend& b, const std::vector<Tensor>& t) { return b.reduce(op, t[0], dim, true); },
            std::string(op_name(op)) + " " + s.to_string() + " dim " + std::to_string(dim));
      same_bits(
          {{s, x}}, [&](Backend& b, const std::vector<Tensor>& t) { return b.softmax(t[0], dim); },
          "softmax " + s.to_string() + " dim " + std::to_string(dim));
    }
    same_bits(
        {{s, x}},
        [&](Backend& b, const std::vector<Tensor>& t) {
          return b.reduce(ReduceOp::Sum, t[0], std::nullopt, false);
        },
        "sum all " + s.to_string());
    const int64_t n = s[s.rank() - 1];
    const auto w = random_f16(rng, n), bias = random_f16(rng, n);
    same_bits(
        {{s, x}, {Shape{n}, w}, {Shape{n}, bias}},
        [](Backend& b, const std::vector<Tensor>& t) { return b.rms_norm(t[0], &t[1], 1e-6f); },
        "rms_norm " + s.to_string());
    same_bits(
        {{s, x}, {Shape{n}, w}, {Shape{n}, bias}},
        [](Backend& b, const std::vector<Tensor>& t) {
          return b.layer_norm(t[0], &t[1], &t[2], 1e-5f);
        },
        "layer_norm " + s.to_string());
  }
}

TEST(Parity, DataMovement) {
  Rng rng(104);
  const Shape s{5, 33, 7, 2};
  const auto x = random_f16(rng, s.numel());
  const std::vector<std::vector<int>> perms = {
      {0, 1, 2, 3}, {3, 2, 1, 0}, {1, 0, 2, 3}, {0, 2, 1, 3}};
  for (const auto& p : perms)
    same_bits(
        {{s, x}}, [&](Backend& b, const std::vector<Tensor>& t) { return b.permute(t[0], p); },
        "permute");
  const std::vector<std::vector<SliceAxis>> slices = {
      {{0, 5, 2}, {1, 33, 3}, {0, 7, 1}, {1, 2, 1}},
      {{4, 5, 1}, {0, 33, 1}, {6, 7, 1}, {0, 2, 1}},
      {{0, 5, 1}, {32, 2, 1}, {0, 7, 7}, {0, 2, 2}}};
  for (const auto& ax : slices)
    same_bits(
        {{s, x}}, [&](Backend& b, const std::vector<Tensor>& t) { return b.slice(t[0], ax); },
        "slice");
  for (int dim = 0; dim < 4; ++dim) {
    std::vector<int64_t> d2 = s.dims();
    d2[dim] = 3;
    const Shape s2(d2);
    same_bits(
        {{s, x}, {s2, random_f16(rng, s2.numel())}},
        [&](Backend& b, const std::vector<Tensor>& t) { return b.concat(t, dim); }, "concat");
  }
}

// Random shapes: ranks 0-4 with dims from {1, 2, 3, 7, 33}, each operand's dims independently
// dropped to 1 (broadcast) or its leading dims dropped; element-wise ops must agree bit for bit,
// products must meet the float64 bound on both backends.
TEST(Parity, RandomShapes) {
  Rng rng(400);
  const int64_t dims[] = {1, 2, 3, 7, 33};
  auto random_dims = [&](size_t rank) {
    std::vector<int64_t> d(rank);
    for (auto& x : d) x = dims[rng.integer(0, 4)];
    return d;
  };
  for (int iter = 0; iter < 60; ++iter) {
    const auto out = random_dims(static_cast<size_t>(rng.integer(0, 4)));
    auto operand = [&] {
      std::vector<int64_t> d(out.begin() + rng.integer(0, static_cast<int64_t>(out.size())),
                             out.end());
      for (auto& x : d)
        if (rng.integer(0, 3) == 0) x = 1;
      return Shape(d);
    };
    const Shape A = operand(), B = operand();
    const auto op = static_cast<BinaryOp>(rng.integer(0, 7));
    same_bits(
        {{A, random_f16(rng, A.numel(), -4, 4)}, {B, random_f16(rng, B.numel(), -4, 4)}},
        [op](Backend& b, const std::vector<Tensor>& t) { return b.binary(op, t[0], t[1]); },
        std::string(op_name(op)) + " " + A.to_string() + B.to_string());
    // A product with random batch dims (broadcast), M, K, N, including 1-D operands.
    const auto batch = random_dims(static_cast<size_t>(rng.integer(0, 2)));
    const int64_t M = dims[rng.integer(0, 4)], K = dims[rng.integer(0, 4)] * 5,
                  N = dims[rng.integer(0, 4)];
    std::vector<int64_t> da = batch, db = batch;
    if (!db.empty() && rng.integer(0, 1)) db[0] = 1;
    da.push_back(M);
    da.push_back(K);
    db.push_back(K);
    db.push_back(N);
    if (rng.integer(0, 5) == 0) da = {K};
    if (rng.integer(0, 5) == 0) db = {K};
    check_matmul(fast(), Shape(da), Shape(db), 1000 + iter);
    check_matmul(ref(), Shape(da), Shape(db), 1000 + iter);
  }
}

// Products: the fast backend against float64 with the reference's bound (see reference_test).
TEST(Parity, MatmulShapes) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{257, 300}, {300, 33}},        // packed path, K > KC, edge tiles in both directions
      {{13, 513}, {513, 600}},        // N > NC, M not a multiple of MR
      {{1, 1000}, {1000, 777}},       // vector @ matrix
      {{1000}, {1000, 33}},           // 1-D left operand
      {{300, 1000}, {1000}},          // matrix @ vector
      {{2, 64, 64}, {64, 64}},        // batched, small: parallel over batches
      {{3, 1, 40, 24}, {2, 24, 17}},  // broadcast batch dims
      {{4, 3, 5}, {4, 5, 2}},
      {{3, 200, 100}, {3, 100, 100}},
      {{0, 64}, {64, 8}},
      {{64, 0}, {0, 40}},  // K = 0: zeros
  };
  uint64_t seed = 200;
  for (const auto& [sa, sb] : cases) {
    check_matmul(fast(), sa, sb, seed);
    check_matmul(ref(), sa, sb, seed++);
  }
}

TEST(Parity, Linear) {
  uint64_t seed = 300;
  for (const auto& [sx, out] : std::vector<std::pair<Shape, int64_t>>{
           {{1, 4096}, 33},
           {{1, 1000}, 9},  // one row at a time (short rows), a tail of 40
           {{1, 9001}, 6},  // 4 rows at a time (long rows), odd K, 2 rows left over
           {{4096}, 7},
           {{2, 1000}, 1001},
           {{3, 5, 300}, 257},
           {{64, 96}, 64}}) {
    check_linear(fast(), sx, out, true, seed);
    check_linear(ref(), sx, out, false, seed++);
  }
}

}  // namespace
}  // namespace tl::cpu_test

namespace tl::cpu_test {
namespace {

// assign_slice (in place) on the reference and fast paths, and against an index-by-index write.
TEST(Parity, AssignSlice) {
  Rng rng(41);
  const Shape xs{3, 9, 5};
  const auto x = random_f16(rng, xs.numel());
  struct Case {
    std::vector<SliceAxis> axes;
    Shape src;
  };
  const std::vector<Case> cases = {{{{1, 2, 1}, {0, 9, 1}, {0, 5, 1}}, Shape{1, 9, 5}},
                                   {{{0, 3, 1}, {2, 6, 1}, {0, 5, 1}}, Shape{3, 4, 5}},
                                   {{{0, 3, 2}, {1, 9, 3}, {4, 5, 1}}, Shape{2, 3, 1}},
                                   {{{0, 3, 1}, {0, 9, 1}, {0, 5, 1}}, Shape{1, 9, 1}}};
  for (const Case& c : cases) {
    const auto v = random_f16(rng, c.src.numel());
    same_bits(
        {{xs, x}, {c.src, v}},
        [&](CpuBackend& be, std::vector<Tensor>& t) {
          be.assign_slice(t[0], c.axes, t[1]);
          return t[0];
        },
        "assign_slice");
    // Expected: every element of the region takes the (broadcast) source element.
    std::vector<f16_bits> want = x;
    const auto st = xs.strides(), ss = c.src.strides();
    for (int64_t i = 0; i < c.axes[0].stop - c.axes[0].start; i += c.axes[0].step)
      for (int64_t j = 0; j < c.axes[1].stop - c.axes[1].start; j += c.axes[1].step)
        for (int64_t k = 0; k < c.axes[2].stop - c.axes[2].start; k += c.axes[2].step) {
          const int64_t ri[3] = {i / c.axes[0].step, j / c.axes[1].step, k / c.axes[2].step};
          int64_t s = 0;
          for (size_t d = 0; d < 3; ++d) s += (c.src[d] == 1 ? 0 : ri[d]) * ss[d];
          want[static_cast<size_t>((c.axes[0].start + i) * st[0] + (c.axes[1].start + j) * st[1] +
                                   (c.axes[2].start + k) * st[2])] = v[static_cast<size_t>(s)];
        }
    Tensor t = fast().upload_f16(xs, x);
    fast().assign_slice(t, c.axes, fast().upload_f16(c.src, v));
    expect_bits_equal(download(fast(), t), want, "assign_slice vs index arithmetic");
  }
}

}  // namespace
}  // namespace tl::cpu_test
