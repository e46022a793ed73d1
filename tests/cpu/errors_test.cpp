// Every shape or dtype error is a RuntimeError whose message names the offending shapes.
#include <limits>

#include "tests/cpu/test_util.h"
#include "vm/core/error.h"

namespace tl::cpu_test {
namespace {

void expect_error(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one mentioning '" << needle << "'";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

class Errors : public ::testing::TestWithParam<bool> {
 protected:
  CpuBackend& be() { return GetParam() ? fast_backend() : reference_backend(); }
  Tensor t(const Shape& s) { return be().full(s, 1.0f); }
};

TEST_P(Errors, Shapes) {
  expect_error([&] { be().binary(BinaryOp::Add, t({2, 3}), t({4, 3})); }, "[2, 3] and [4, 3]");
  expect_error([&] { be().matmul(t({2, 3}), t({4, 5})); }, "inner dimensions of `@` differ: 3");
  expect_error([&] { be().matmul(t({}), t({4, 5})); }, "rank 1 or more");
  expect_error([&] { be().matmul(t({2, 2, 3}), t({3, 3, 4})); }, "cannot be broadcast");
  expect_error([&] { be().linear(t({2, 3}), t({5, 4}), nullptr); }, "input [2, 3] has 3 features");
  expect_error([&] { be().linear(t({2, 3}), t({3}), nullptr); }, "[out, in]");
  const Tensor bias = t({4});
  expect_error([&] { be().linear(t({2, 3}), t({5, 3}), &bias); }, "bias must have shape [5]");
  expect_error([&] { be().reduce(ReduceOp::Sum, t({2, 3}), 2, false); }, "out of range");
  expect_error([&] { be().reduce(ReduceOp::Max, t({2, 0}), 1, false); }, "max of an empty");
  expect_error([&] { be().arg_reduce(ArgOp::ArgMax, t({0}), std::nullopt); }, "empty");
  expect_error([&] { be().softmax(t({2, 3}), -3); }, "out of range");
  const Tensor w = t({4});
  expect_error([&] { be().rms_norm(t({2, 3}), &w, 1e-5f); }, "weight must have shape [3]");
  expect_error([&] { be().layer_norm(t({}), nullptr, nullptr, 1e-5f); }, "rank 1 or more");
  const int bad_perm[] = {0, 0};
  expect_error([&] { be().permute(t({2, 3}), bad_perm); }, "appears twice");
  const int short_perm[] = {0};
  expect_error([&] { be().permute(t({2, 3}), short_perm); }, "rank 2");
  const SliceAxis oob[] = {{0, 3, 1}};
  expect_error([&] { be().slice(t({2}), oob); }, "out of range for dimension 0 of size 2");
  const SliceAxis step0[] = {{0, 2, 0}};
  expect_error([&] { be().slice(t({2}), step0); }, "step must be >= 1");
  const Tensor parts[] = {t({2, 3}), t({2, 4})};
  expect_error([&] { be().concat(parts, 0); }, "[2, 3] and [2, 4]");
  expect_error([&] { be().concat({}, 0); }, "at least one");
}

// fuzz_tlbc: a step far past the dim (from a bytecode constant) overflowed int64 in the region's
// size (stop - start + step - 1) and in its stride (stride * step). A step at least the dim's
// extent selects the start element alone, in slice and in slice assignment.
TEST_P(Errors, HugeSliceStepsSelectOneElement) {
  std::vector<f16_bits> v;
  for (int i = 0; i < 12; ++i) v.push_back(f32_to_f16(static_cast<float>(i)));
  const Tensor x = be().upload_f16({4, 3}, v);
  for (int64_t step : {int64_t{1} << 62, std::numeric_limits<int64_t>::max()}) {
    const SliceAxis axes[] = {{1, 4, step}, {0, 3, step}};
    const Tensor y = be().slice(x, axes);
    EXPECT_EQ(y.shape, (Shape{1, 1})) << step;
    EXPECT_EQ(download(be(), y), std::vector<f16_bits>{f32_to_f16(3.0f)}) << step;
    Tensor d = be().upload_f16({4, 3}, v);
    be().assign_slice(d, axes, be().full({1, 1}, -1.0f));
    std::vector<f16_bits> want = v;
    want[3] = f32_to_f16(-1.0f);
    EXPECT_EQ(download(be(), d), want) << step;
  }
}

TEST_P(Errors, UploadAndOwnership) {
  const std::vector<std::byte> bytes(10);
  expect_error([&] { be().upload({2, 3}, DType::F16, bytes); }, "needs 12 bytes, got 10");
  expect_error([&] { be().upload({4}, DType::F32, std::vector<std::byte>(16)); }, "not F32");
  expect_error(
      [&] {
        be().upload({2, 16}, DType::Q8_0, std::vector<std::byte>(34));
      },
      "multiple of 32");
  std::vector<f16_bits> out(5);
  expect_error([&] { be().download(t({2, 3}), out); }, "has 6 elements, buffer holds 5");
  CpuBackend other(CpuOptions{1, true});
  const Tensor foreign = other.full({2}, 1.0f);
  expect_error([&] { be().unary(UnaryOp::Neg, foreign); }, "does not belong");
}

INSTANTIATE_TEST_SUITE_P(Paths, Errors, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Fast" : "Reference"; });

}  // namespace
}  // namespace tl::cpu_test
