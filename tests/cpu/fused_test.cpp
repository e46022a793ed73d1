// Fused element-wise programs (Backend::elementwise): the validator, the CPU fast path against the
// CPU reference (bit for bit, on random programs over every op and random broadcast shapes), the
// fused result against float64 (one rounding: within one f16 ulp plus a small f32 allowance) and
// against the stepwise base-class evaluation (which rounds after every step), and the errors.
#include <cstring>
#include <functional>

#include "tests/common/reference64.h"
#include "tests/cpu/test_util.h"
#include "vm/core/error.h"
#include "vm/tensor/elementwise.h"

namespace tl::cpu_test {
namespace {

using P = ElementwiseProgram;
using IK = P::InputKind;

P::Step un(UnaryOp op, uint16_t a) {
  return {P::StepKind::Unary, static_cast<uint8_t>(op), a, 0};
}
P::Step bin(BinaryOp op, uint16_t a, uint16_t b) {
  return {P::StepKind::Binary, static_cast<uint8_t>(op), a, b};
}

// ---- validator
// -----------------------------------------------------------------------------------

TEST(FusedValidate, AcceptsWellFormed) {
  // gelu(x0 * s1 + x2)
  P p{{IK::Tensor, IK::Scalar, IK::Tensor},
      {bin(BinaryOp::Mul, 0, 1), bin(BinaryOp::Add, 3, 2), un(UnaryOp::Gelu, 4)}};
  EXPECT_EQ(validate(p), "");
  EXPECT_EQ(to_string(p), "%0 = x0 * x1:f32; %1 = %0 + x2; %2 = gelu(%1)");
}

TEST(FusedValidate, RejectsMalformed) {
  const std::vector<std::pair<P, std::string>> bad = {
      {P{{}, {un(UnaryOp::Neg, 0)}}, "0 inputs"},
      {P{{IK::Tensor}, {}}, "0 steps"},
      {P{{IK::Scalar}, {un(UnaryOp::Neg, 0)}}, "no tensor input"},
      {P{{static_cast<IK>(7)}, {un(UnaryOp::Neg, 0)}}, "unknown kind"},
      {P{{IK::Tensor}, {un(static_cast<UnaryOp>(99), 0)}}, "unary op 99 out of range"},
      {P{{IK::Tensor}, {bin(static_cast<BinaryOp>(42), 0, 0)}}, "binary op 42 out of range"},
      {P{{IK::Tensor}, {un(UnaryOp::Neg, 1)}}, "operand 1"},  // itself
      {P{{IK::Tensor}, {bin(BinaryOp::Add, 0, 5)}}, "operand 5"},
      {P{{IK::Tensor, IK::Scalar}, {un(UnaryOp::Exp, 1), bin(BinaryOp::Add, 0, 2)}},
       "unary op of a scalar"},
      {P{{IK::Tensor, IK::Scalar}, {bin(BinaryOp::Add, 1, 1), bin(BinaryOp::Add, 0, 2)}},
       "two scalars"},
      {P{{IK::Tensor, IK::Tensor}, {un(UnaryOp::Exp, 0)}}, "input 1 is never used"},
      {P{{IK::Tensor}, {un(UnaryOp::Exp, 0), un(UnaryOp::Abs, 0)}}, "step 0 is never used"},
      {P{{IK::Tensor}, {P::Step{static_cast<P::StepKind>(3), 0, 0, 0}}}, "unknown kind 3"},
      {P{{IK::Tensor}, {P::Step{P::StepKind::Unary, 0, 0, 1}}}, "second operand"},
  };
  for (const auto& [p, want] : bad) {
    const std::string why = validate(p);
    EXPECT_NE(why.find(want), std::string::npos) << "got '" << why << "', want '" << want << "'";
  }
  P big{std::vector<IK>(kMaxElementwiseInputs + 1, IK::Tensor), {un(UnaryOp::Neg, 0)}};
  EXPECT_NE(validate(big).find("inputs"), std::string::npos);
}

// ---- random programs --------------------------------------------------------------------------

struct Case {
  P program;
  std::vector<Shape> shapes;  // per input; rank-0 marker unused for scalars
  std::vector<std::vector<f16_bits>> data;
  std::vector<float> scalars;
  Shape out;
};

// An input shape that broadcasts to `out`: a suffix of its dims, some of them set to 1.
Shape broadcast_source(Rng& rng, const Shape& out) {
  const auto skip = static_cast<size_t>(rng.integer(0, static_cast<int64_t>(out.rank())));
  std::vector<int64_t> d(out.dims().begin() + static_cast<std::ptrdiff_t>(skip), out.dims().end());
  for (auto& x : d)
    if (rng.integer(0, 3) == 0) x = 1;
  return Shape(d);
}

Shape random_out(Rng& rng) {
  const int64_t rank = rng.integer(0, 3);
  std::vector<int64_t> d;
  int64_t n = 1;
  for (int64_t i = 0; i < rank; ++i) {
    const int64_t pick = rng.integer(0, 9);
    // Mostly small dims, sometimes one long (odd) run; at most ~50k elements in all.
    d.push_back(pick == 0 ? 1 : pick < 7 || n > 100 ? rng.integer(2, 40) : rng.integer(500, 1500));
    n *= d.back();
  }
  return Shape(d);
}

// A random well-formed program over every op: each new step uses the previous one (so nothing
// is dead) and a fresh input or an earlier value; the first input is a full-shape tensor.
Case random_case(Rng& rng, const std::vector<UnaryOp>& unary_ops,
                 const std::vector<BinaryOp>& binary_ops) {
  Case c;
  c.out = random_out(rng);
  const int64_t nsteps = rng.integer(1, 7);
  auto add_input = [&](bool scalar) {
    c.program.inputs.push_back(scalar ? IK::Scalar : IK::Tensor);
    const Shape s = c.program.inputs.size() == 1 ? c.out : broadcast_source(rng, c.out);
    c.shapes.push_back(s);
    c.data.push_back(scalar ? std::vector<f16_bits>{} : random_f16(rng, s.numel(), -3, 3));
    c.scalars.push_back(static_cast<float>(rng.uniform(-2, 2)));
  };
  add_input(false);
  std::vector<std::pair<int, bool>> pending;  // (step kind 0 unary / 1 binary, new input scalar)
  for (int64_t k = 0; k < nsteps; ++k)
    pending.emplace_back(static_cast<int>(rng.integer(0, 1)), rng.integer(0, 2) == 0);
  // Inputs first (operand numbers of steps come after every input).
  for (auto& [kind, scalar] : pending)
    if (kind == 1) add_input(scalar);
  const auto ni = static_cast<uint16_t>(c.program.inputs.size());
  uint16_t prev = 0, next_input = 1;
  for (auto& [kind, scalar] : pending) {
    if (kind == 0) {
      c.program.steps.push_back(un(unary_ops[rng.integer(0, unary_ops.size() - 1)], prev));
    } else {
      const uint16_t other = next_input++;
      const BinaryOp op = binary_ops[rng.integer(0, binary_ops.size() - 1)];
      c.program.steps.push_back(rng.integer(0, 1) ? bin(op, prev, other) : bin(op, other, prev));
    }
    prev = static_cast<uint16_t>(ni + c.program.steps.size() - 1);
  }
  EXPECT_EQ(validate(c.program), "");
  return c;
}

std::vector<ElementwiseArg> upload_args(CpuBackend& be, const Case& c) {
  std::vector<ElementwiseArg> args;
  for (size_t k = 0; k < c.shapes.size(); ++k)
    args.push_back(c.program.inputs[k] == IK::Scalar
                       ? ElementwiseArg::of(c.scalars[k])
                       : ElementwiseArg::of(be.upload_f16(c.shapes[k], c.data[k])));
  return args;
}

// Evaluates the program in float64 at every output element (inputs as f16 values, scalars as
// f32), without rounding. `scale` gets the largest intermediate magnitude per element.
std::vector<double> eval64(const Case& c, const Shape& out, std::vector<double>* scale) {
  std::vector<double> want(static_cast<size_t>(out.numel()));
  const size_t ni = c.program.num_inputs();
  for (int64_t i = 0; i < out.numel(); ++i) {
    const auto idx = unravel(i, out.dims());
    std::vector<double> v(ni + c.program.steps.size());
    double m = 0;
    for (size_t k = 0; k < ni; ++k)
      v[k] = c.program.inputs[k] == IK::Scalar
                 ? c.scalars[k]
                 : f16_to_f32(c.data[k][broadcast_offset(idx, c.shapes[k].dims())]);
    for (size_t s = 0; s < c.program.steps.size(); ++s) {
      const auto& st = c.program.steps[s];
      v[ni + s] = st.kind == P::StepKind::Unary
                      ? test::unary64(c.program.unary_op(st), v[st.a])
                      : test::binary64(c.program.binary_op(st), v[st.a], v[st.b]);
      if (std::isfinite(v[ni + s])) m = std::max(m, std::fabs(v[ni + s]));
    }
    want[static_cast<size_t>(i)] = v.back();
    if (scale) scale->push_back(m);
  }
  return want;
}

const std::vector<UnaryOp> kAllUnary = {
#define X(e, s) UnaryOp::e,
    TL_UNARY_OPS(X)
#undef X
};
const std::vector<BinaryOp> kAllBinary = {
#define X(e, s) BinaryOp::e,
    TL_BINARY_OPS(X)
#undef X
};

TEST(Fused, FastMatchesReferenceBitForBit) {
  Rng rng(7);
  for (int iter = 0; iter < 150; ++iter) {
    const Case c = random_case(rng, kAllUnary, kAllBinary);
    const Tensor yr =
        reference_backend().elementwise(c.program, upload_args(reference_backend(), c));
    const Tensor yf = fast_backend().elementwise(c.program, upload_args(fast_backend(), c));
    const std::string what = to_string(c.program) + " out " + c.out.to_string();
    ASSERT_EQ(yr.shape, c.out) << what;
    ASSERT_EQ(yf.shape, c.out) << what;
    expect_bits_equal(download(reference_backend(), yr), download(fast_backend(), yf), what);
  }
}

// Well-conditioned ops (no cancellation-prone %, no pow or exp blow-ups on intermediates): the
// fused result is within one f16 ulp of float64 plus 1e-5 of the largest intermediate (f32
// arithmetic over at most 7 steps), and its total error is no larger than the stepwise one's.
TEST(Fused, CloseToFloat64AndNoWorseThanStepwise) {
  Rng rng(11);
  const std::vector<UnaryOp> un_ops = {UnaryOp::Neg,  UnaryOp::Relu,    UnaryOp::Gelu,
                                       UnaryOp::Silu, UnaryOp::Sigmoid, UnaryOp::Tanh,
                                       UnaryOp::Abs};
  const std::vector<BinaryOp> bin_ops = {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul,
                                         BinaryOp::Maximum, BinaryOp::Minimum};
  double err_fused = 0, err_step = 0;
  for (int iter = 0; iter < 60; ++iter) {
    const Case c = random_case(rng, un_ops, bin_ops);
    CpuBackend& be = fast_backend();
    const auto args = upload_args(be, c);
    const auto fused = download(be, be.elementwise(c.program, args));
    const auto step = download(be, be.Backend::elementwise(c.program, args));
    std::vector<double> scale;
    const auto want = eval64(c, c.out, &scale);
    std::vector<double> extra(scale.size());
    for (size_t i = 0; i < scale.size(); ++i) extra[i] = 1e-5 * (1 + scale[i]);
    expect_close(fused, want, extra, to_string(c.program) + " out " + c.out.to_string());
    for (size_t i = 0; i < want.size(); ++i) {
      err_fused += std::fabs(f16_to_f32(fused[i]) - want[i]);
      err_step += std::fabs(f16_to_f32(step[i]) - want[i]);
    }
  }
  EXPECT_LE(err_fused, err_step);
  EXPECT_GT(err_step, 0);  // the stepwise path does round in between
}

// The chains the compiler fuses most (an MLP's gelu(x * s + b), LLaMA's silu(g) * u) against
// float64, on the broadcast layouts models use, with scalars on either side.
TEST(Fused, ModelChainsAgainstFloat64) {
  Rng rng(3);
  struct Layout {
    Shape x, b;
  };
  for (const Layout& l : {Layout{{5, 77}, {77}}, Layout{{3, 1}, {1, 9}}, Layout{{}, {}},
                          Layout{{2, 3, 1031}, {1031}}, Layout{{4099}, {1}}}) {
    Case c;
    c.program = P{{IK::Tensor, IK::Scalar, IK::Tensor},
                  {bin(BinaryOp::Mul, 1, 0), bin(BinaryOp::Add, 3, 2), un(UnaryOp::Gelu, 4)}};
    c.shapes = {l.x, Shape{}, l.b};
    c.data = {random_f16(rng, l.x.numel()), {}, random_f16(rng, l.b.numel())};
    c.scalars = {0, 0.7071f, 0};
    c.out = broadcast_shapes(l.x, l.b, "+");
    for (CpuBackend* be : {&reference_backend(), &fast_backend()}) {
      const Tensor y = be->elementwise(c.program, upload_args(*be, c));
      ASSERT_EQ(y.shape, c.out);
      expect_close(download(*be, y), eval64(c, c.out, nullptr),
                   std::vector<double>(static_cast<size_t>(c.out.numel()), 1e-5),
                   "gelu(s * x + b) " + l.x.to_string() + " " + l.b.to_string());
    }
    Case g = c;  // silu(x) * b
    g.program = P{{IK::Tensor, IK::Tensor}, {un(UnaryOp::Silu, 0), bin(BinaryOp::Mul, 2, 1)}};
    g.shapes = {l.x, l.b};
    g.data = {c.data[0], c.data[2]};
    g.scalars = {0, 0};
    const Tensor y = fast_backend().elementwise(g.program, upload_args(fast_backend(), g));
    expect_close(download(fast_backend(), y), eval64(g, g.out, nullptr),
                 std::vector<double>(static_cast<size_t>(g.out.numel()), 1e-5), "silu(x) * b");
  }
}

// Every binary op with inputs (not intermediates) as operands, including % and ** whose float64
// results f32 reproduces exactly up to the final rounding; and a scalar on the left.
TEST(Fused, EveryBinaryOpOnInputs) {
  Rng rng(5);
  for (BinaryOp op : kAllBinary) {
    for (bool scalar_left : {false, true}) {
      Case c;
      c.program = P{{IK::Tensor, IK::Scalar, IK::Tensor},
                    {scalar_left ? bin(op, 1, 0) : bin(op, 0, 1), bin(op, 2, 3)}};
      c.out = Shape{13, 21};
      c.shapes = {c.out, Shape{}, Shape{21}};
      c.data = {random_f16(rng, c.out.numel(), 0.5, 2), {}, random_f16(rng, 21, 0.5, 2)};
      c.scalars = {0, 1.5f, 0};
      const Tensor y = fast_backend().elementwise(c.program, upload_args(fast_backend(), c));
      std::vector<double> scale;
      const auto want = eval64(c, c.out, &scale);
      std::vector<double> extra(scale.size());
      for (size_t i = 0; i < scale.size(); ++i) extra[i] = 1e-5 * (1 + scale[i]);
      expect_close(download(fast_backend(), y), want, extra,
                   std::string(op_name(op)) + (scalar_left ? " scalar left" : ""));
    }
  }
}

// The base-class evaluation is exactly the sequence of unary/binary/binary_scalar calls.
TEST(Fused, StepwiseDefaultIsTheOpSequence) {
  Rng rng(9);
  CpuBackend& be = fast_backend();
  const Tensor x = be.upload_f16(Shape{6, 50}, random_f16(rng, 300));
  const Tensor b = be.upload_f16(Shape{50}, random_f16(rng, 50));
  const P p{{IK::Tensor, IK::Scalar, IK::Tensor},
            {bin(BinaryOp::Sub, 1, 0), bin(BinaryOp::Mul, 3, 2), un(UnaryOp::Tanh, 4)}};
  const std::vector<ElementwiseArg> args = {ElementwiseArg::of(x), ElementwiseArg::of(0.25f),
                                            ElementwiseArg::of(b)};
  const Tensor want = be.unary(
      UnaryOp::Tanh, be.binary(BinaryOp::Mul, be.binary_scalar(BinaryOp::Sub, x, 0.25f, true), b));
  expect_bits_equal(download(be, be.Backend::elementwise(p, args)), download(be, want), "stepwise");
}

TEST(Fused, QuantizedInputIsDequantized) {
  // One Q8_0 row of 32: f16 scale 0.0625, then 32 int8 quants.
  std::vector<std::byte> block(34);
  const f16_bits d = f64_to_f16(0.0625);
  std::memcpy(block.data(), &d, 2);
  for (int i = 0; i < 32; ++i)
    block[2 + i] = static_cast<std::byte>(static_cast<int8_t>(i * 7 - 100));
  CpuBackend& be = fast_backend();
  const Tensor q = be.upload(Shape{1, 32}, DType::Q8_0, block);
  const P p{{IK::Tensor, IK::Scalar}, {bin(BinaryOp::Mul, 0, 1), un(UnaryOp::Silu, 2)}};
  const auto got =
      download(be, be.elementwise(p, std::vector{ElementwiseArg::of(q), ElementwiseArg::of(0.5f)}));
  const auto want = download(be, be.elementwise(p, std::vector{ElementwiseArg::of(be.dequantize(q)),
                                                               ElementwiseArg::of(0.5f)}));
  expect_bits_equal(got, want, "q8_0 input");
}

TEST(Fused, EmptyAndScalarShapes) {
  CpuBackend& be = fast_backend();
  const P p{{IK::Tensor, IK::Tensor}, {bin(BinaryOp::Add, 0, 1), un(UnaryOp::Relu, 2)}};
  const Tensor e = be.elementwise(p, std::vector{ElementwiseArg::of(be.full(Shape{0, 3}, 1)),
                                                 ElementwiseArg::of(be.full(Shape{3}, 2))});
  EXPECT_EQ(e.shape, (Shape{0, 3}));
  const Tensor s = be.elementwise(p, std::vector{ElementwiseArg::of(be.full(Shape{}, -1)),
                                                 ElementwiseArg::of(be.full(Shape{}, 3))});
  EXPECT_EQ(s.shape, Shape{});
  EXPECT_EQ(f16_to_f32(download(be, s)[0]), 2.0f);
}

// Errors: the same message as the stepwise evaluation (the first failing step's operator), and
// clear ones for arguments that do not match the program.
TEST(Fused, Errors) {
  CpuBackend& be = fast_backend();
  const P p{{IK::Tensor, IK::Tensor, IK::Tensor},
            {bin(BinaryOp::Add, 0, 1), bin(BinaryOp::Mul, 3, 2)}};
  const std::vector<ElementwiseArg> args = {ElementwiseArg::of(be.full(Shape{4, 3}, 1)),
                                            ElementwiseArg::of(be.full(Shape{3}, 1)),
                                            ElementwiseArg::of(be.full(Shape{5}, 1))};
  std::string fused, stepwise;
  try {
    be.elementwise(p, args);
  } catch (const RuntimeError& e) {
    fused = e.what();
  }
  try {
    be.Backend::elementwise(p, args);
  } catch (const RuntimeError& e) {
    stepwise = e.what();
  }
  EXPECT_NE(fused.find('*'), std::string::npos) << fused;
  EXPECT_EQ(fused, stepwise);
  EXPECT_THROW(be.elementwise(p, std::span(args).first(2)), RuntimeError);
  std::vector<ElementwiseArg> wrong_kind = args;
  wrong_kind[1] = ElementwiseArg::of(2.0f);
  EXPECT_THROW(be.elementwise(p, wrong_kind), RuntimeError);
  const P bad{{IK::Tensor}, {un(UnaryOp::Neg, 3)}};
  EXPECT_THROW(be.elementwise(bad, std::span(args).first(1)), RuntimeError);
  EXPECT_THROW(be.Backend::elementwise(bad, std::span(args).first(1)), RuntimeError);
}

}  // namespace
}  // namespace tl::cpu_test
