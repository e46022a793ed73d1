// print formatting: floats (Python repr), tensor elements and nested lists, summaries.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "vm/runtime/print_format.h"

namespace tl {
namespace {

TEST(PrintFloat, PythonRepr) {
  EXPECT_EQ(format_float(0.1), "0.1");
  EXPECT_EQ(format_float(2.0), "2.0");
  EXPECT_EQ(format_float(-2.5), "-2.5");
  EXPECT_EQ(format_float(0.0), "0.0");
  EXPECT_EQ(format_float(-0.0), "-0.0");
  EXPECT_EQ(format_float(1e16), "1e+16");
  EXPECT_EQ(format_float(1e15), "1000000000000000.0");
  EXPECT_EQ(format_float(123456789.125), "123456789.125");
  EXPECT_EQ(format_float(0.0001), "0.0001");
  EXPECT_EQ(format_float(0.00001), "1e-05");
  EXPECT_EQ(format_float(1.5e-7), "1.5e-07");
  EXPECT_EQ(format_float(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(format_float(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(format_float(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(format_float(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(format_float(std::nan("")), "nan");
}

TEST(PrintTensor, Elements) {
  EXPECT_EQ(format_element(2.2109375f), "2.2109");
  EXPECT_EQ(format_element(2.8203125f), "2.8203");
  EXPECT_EQ(format_element(3.0f), "3.0");
  EXPECT_EQ(format_element(0.5f), "0.5");
  EXPECT_EQ(format_element(-1.25f), "-1.25");
  EXPECT_EQ(format_element(-0.00001f), "0.0");
  EXPECT_EQ(format_element(65504.0f), "65504.0");
  EXPECT_EQ(format_element(0.00006103515625f), "0.0001");
  EXPECT_EQ(format_element(-std::numeric_limits<float>::infinity()), "-inf");
}

TEST(PrintTensor, NestedLists) {
  std::vector<float> v = {2.2109375f, 2.8203125f, 4.91015625f, 6.421875f};
  EXPECT_EQ(format_tensor(Shape{2, 2}, v), "[[2.2109, 2.8203], [4.9102, 6.4219]]");
  EXPECT_EQ(format_tensor(Shape{4}, v), "[2.2109, 2.8203, 4.9102, 6.4219]");
  EXPECT_EQ(format_tensor(Shape{}, std::vector<float>{1.5f}), "1.5");
  EXPECT_EQ(format_tensor(Shape{0}, std::vector<float>{}), "[]");
  EXPECT_EQ(format_tensor(Shape{2, 0}, std::vector<float>{}), "[[], []]");
}

TEST(PrintTensor, SummaryPast1000Elements) {
  std::vector<float> v(1000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 7);
  std::string full = format_tensor(Shape{1000}, v);
  EXPECT_EQ(full.find("..."), std::string::npos);  // exactly 1000: printed in full
  v.resize(1001);
  std::vector<float> w(2002);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i);
  EXPECT_EQ(format_tensor(Shape{2002}, w), "[0.0, 1.0, 2.0, ..., 1999.0, 2000.0, 2001.0]");
  EXPECT_EQ(format_tensor(Shape{2, 1001}, w),
            "[[0.0, 1.0, 2.0, ..., 998.0, 999.0, 1000.0], [1001.0, 1002.0, 1003.0, ..., 1999.0, "
            "2000.0, 2001.0]]");
  std::vector<float> z(8 * 200, 0.f);
  EXPECT_EQ(format_tensor(Shape{8, 200}, z).substr(0, 39),
            "[[0.0, 0.0, 0.0, ..., 0.0, 0.0, 0.0], [");
  EXPECT_NE(format_tensor(Shape{8, 200}, z).find("], ..., ["), std::string::npos);
}

}  // namespace
}  // namespace tl
