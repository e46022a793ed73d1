#include "vm/core/half.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "vm/core/error.h"
#include "vm/tensor/shape.h"

namespace tl {
namespace {

TEST(Half, EveryF16SurvivesARoundTripThroughF32AndF64) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = f16_to_f32(static_cast<f16_bits>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(f)))) << h;
      continue;
    }
    EXPECT_EQ(f32_to_f16(f), h) << h;
    EXPECT_EQ(f64_to_f16(static_cast<double>(f)), h) << h;
  }
}

TEST(Half, RoundsToNearestEvenAndOverflowsToInfinity) {
  EXPECT_EQ(f32_to_f16(1.0f + 0x1p-11f), 0x3c00);      // tie -> even (1.0)
  EXPECT_EQ(f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3c02);  // tie -> even (1 + 2^-9)
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);  // halfway to 2^16 rounds up to inf
  EXPECT_EQ(f32_to_f16(65519.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(-1e10f), 0xfc00);
  EXPECT_EQ(f32_to_f16(0x1p-24f), 0x0001);      // smallest subnormal
  EXPECT_EQ(f32_to_f16(0x1p-25f), 0x0000);      // tie -> even (0)
  EXPECT_EQ(f32_to_f16(0x1.8p-25f), 0x0001);    // above the tie
  EXPECT_EQ(f32_to_f16(0x1.ffcp-15f), 0x0400);  // largest subnormal + carry -> smallest normal
}

TEST(Half, F64RoundsDirectlyNotThroughF32) {
  // 1 + 2^-11 + 2^-40: just above the f16 tie, so it rounds up; via f32 it would first become
  // exactly the tie (1 + 2^-11) and then round down to 1.0.
  const double d = 1.0 + 0x1p-11 + 0x1p-40;
  EXPECT_EQ(f64_to_f16(d), 0x3c01);
  EXPECT_EQ(f32_to_f16(static_cast<float>(d)), 0x3c00);
}

TEST(Half, Bf16WidensExactly) {
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(f32_to_bf16(bf16_to_f32(0xc0a0)), 0xc0a0);
}

TEST(Shape, BroadcastMatmulAndReshapeFollowNumPy) {
  EXPECT_EQ(broadcast_shapes(Shape{4, 2}, Shape{2}, "+"), (Shape{4, 2}));
  EXPECT_EQ(broadcast_shapes(Shape{3, 1, 5}, Shape{4, 1}, "+"), (Shape{3, 4, 5}));
  EXPECT_THROW(broadcast_shapes(Shape{4, 2}, Shape{3}, "+"), RuntimeError);
  EXPECT_EQ(matmul_shape(Shape{4, 3}, Shape{3, 2}), (Shape{4, 2}));
  EXPECT_EQ(matmul_shape(Shape{3}, Shape{3, 2}), (Shape{2}));
  EXPECT_EQ(matmul_shape(Shape{4, 3}, Shape{3}), (Shape{4}));
  EXPECT_EQ(matmul_shape(Shape{7, 1, 4, 3}, Shape{5, 3, 2}), (Shape{7, 5, 4, 2}));
  EXPECT_THROW(matmul_shape(Shape{4, 3}, Shape{2, 2}), RuntimeError);
  const int64_t target[] = {-1, 4};
  EXPECT_EQ(resolve_reshape(Shape{2, 3, 4}, target), (Shape{6, 4}));
  const int64_t bad[] = {5, -1};
  EXPECT_THROW(resolve_reshape(Shape{2, 3, 4}, bad), RuntimeError);
  EXPECT_EQ(Shape({4, 2}).to_string(), "[4, 2]");
}

}  // namespace
}  // namespace tl
