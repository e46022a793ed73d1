// permute, slice, concat vs index arithmetic in the test.
#include "tests/vulkan/vulkan_test_util.h"
#include "vm/core/error.h"

namespace tl::test {
namespace {

using VulkanMovement = VulkanTest;

TEST_F(VulkanMovement, Permute) {
  const HostTensor x = random(Shape{2, 3, 4, 5});
  const std::vector<std::vector<int>> perms = {
      {0, 1, 2, 3}, {3, 2, 1, 0}, {0, 2, 1, 3}, {1, 0, 3, 2}, {2, 3, 0, 1}};
  const auto xs = x.shape.strides();
  for (const auto& p : perms) {
    std::vector<int64_t> od;
    for (int d : p) od.push_back(x.shape[d]);
    HostTensor want{Shape(od), std::vector<double>(x.v.size())};
    for_each_index(want.shape, [&](const std::vector<int64_t>& idx, int64_t flat) {
      int64_t src = 0;
      for (size_t i = 0; i < p.size(); ++i) src += idx[i] * xs[p[i]];
      want.v[flat] = x.v[src];
    });
    expect_near(be->permute(up(x), p), want, 0, 0);
  }
  const std::vector<int> dup = {0, 0, 1, 2};
  EXPECT_THROW(be->permute(up(x), dup), RuntimeError);
}

TEST_F(VulkanMovement, Slice) {
  const HostTensor x = random(Shape{6, 7, 9});
  const auto xs = x.shape.strides();
  const std::vector<std::vector<SliceAxis>> cases = {{{0, 6, 1}, {0, 7, 1}, {0, 9, 1}},
                                                     {{1, 5, 2}, {2, 7, 3}, {0, 9, 4}},
                                                     {{3, 3, 1}, {0, 7, 1}, {0, 9, 1}},
                                                     {{5, 6, 1}, {6, 7, 1}, {8, 9, 1}}};
  for (const auto& axes : cases) {
    std::vector<int64_t> od;
    for (const SliceAxis& a : axes)
      od.push_back(a.stop > a.start ? (a.stop - a.start + a.step - 1) / a.step : 0);
    HostTensor want{Shape(od), std::vector<double>(Shape(od).numel())};
    for_each_index(want.shape, [&](const std::vector<int64_t>& idx, int64_t flat) {
      int64_t src = 0;
      for (size_t i = 0; i < 3; ++i) src += (axes[i].start + idx[i] * axes[i].step) * xs[i];
      want.v[flat] = x.v[src];
    });
    expect_near(be->slice(up(x), axes), want, 0, 0);
  }
  const std::vector<SliceAxis> bad = {{0, 7, 1}, {0, 7, 1}, {0, 9, 1}};
  EXPECT_THROW(be->slice(up(x), bad), RuntimeError);
}

TEST_F(VulkanMovement, Concat) {
  for (int dim : {0, 1, 2, -1}) {
    const int d = normalize_dim(dim, 3);
    std::vector<HostTensor> hs;
    std::vector<Tensor> ts;
    for (int64_t extra : {1, 3, 2}) {
      std::vector<int64_t> s = {2, 3, 4};
      s[d] = extra;
      hs.push_back(random(Shape(s)));
      ts.push_back(up(hs.back()));
    }
    std::vector<int64_t> od = {2, 3, 4};
    od[d] = 6;
    HostTensor want{Shape(od), std::vector<double>(Shape(od).numel())};
    for_each_index(want.shape, [&](const std::vector<int64_t>& idx, int64_t flat) {
      int64_t at = idx[d];
      size_t which = 0;
      while (at >= hs[which].shape[d]) at -= hs[which++].shape[d];
      std::vector<int64_t> src = idx;
      src[d] = at;
      const auto st = hs[which].shape.strides();
      int64_t off = 0;
      for (size_t i = 0; i < 3; ++i) off += src[i] * st[i];
      want.v[flat] = hs[which].v[off];
    });
    expect_near(be->concat(ts, dim), want, 0, 0);
  }
  const std::vector<Tensor> bad = {up(random(Shape{2, 3})), up(random(Shape{3, 3}))};
  EXPECT_THROW(be->concat(bad, 1), RuntimeError);
}

}  // namespace
}  // namespace tl::test
