#include "tests/vulkan/vulkan_test_util.h"

#include <cmath>

namespace tl::test {

std::vector<f16_bits> HostTensor::bits() const {
  std::vector<f16_bits> b(v.size());
  for (size_t i = 0; i < v.size(); ++i) b[i] = f64_to_f16(v[i]);
  return b;
}

void VulkanTest::SetUp() {
  if (vk::enumerate_devices().empty())
    GTEST_SKIP() << "no Vulkan device on this machine (install mesa-vulkan-drivers for lavapipe)";
  vk::DeviceOptions o;
  o.validation = true;
  o.on_message = [](std::string_view m) { ADD_FAILURE() << m; };
  be = std::make_unique<VulkanBackend>(o);
}

void VulkanTest::use_gpu_kernels() {
  be.reset();
  vk::DeviceOptions o;
  o.validation = true;
  o.on_message = [](std::string_view m) { ADD_FAILURE() << m; };
  o.cpu_kernels = false;
  be = std::make_unique<VulkanBackend>(o);
}

void VulkanTest::TearDown() {
  be.reset();
}

HostTensor VulkanTest::random(const Shape& s, double lo, double hi) {
  std::uniform_real_distribution<double> d(lo, hi);
  HostTensor h{s, std::vector<double>(static_cast<size_t>(s.numel()))};
  for (double& x : h.v) x = f16_to_f32(f64_to_f16(d(rng)));
  return h;
}

Tensor VulkanTest::up(const HostTensor& h) {
  const std::vector<f16_bits> b = h.bits();
  return be->upload(h.shape, DType::F16, std::as_bytes(std::span(b)));
}

HostTensor VulkanTest::down(const Tensor& t) {
  std::vector<f16_bits> b(static_cast<size_t>(t.numel()));
  be->download(t, b);
  HostTensor h{t.shape, std::vector<double>(b.size())};
  for (size_t i = 0; i < b.size(); ++i) h.v[i] = f16_to_f32(b[i]);
  return h;
}

void VulkanTest::expect_near(const Tensor& got, const HostTensor& want, double atol, double rtol) {
  ASSERT_EQ(got.shape, want.shape) << got.shape.to_string() << " vs " << want.shape.to_string();
  const HostTensor g = down(got);
  int bad = 0;
  for (size_t i = 0; i < g.v.size(); ++i) {
    const double w = want.v[i], x = g.v[i];
    const bool ok = (std::isnan(w) && std::isnan(x)) || (std::isinf(w) && x == w) ||
                    std::abs(x - w) <= atol + rtol * std::abs(w);
    if (!ok && ++bad <= 5) ADD_FAILURE() << "element " << i << ": got " << x << ", want " << w;
  }
  EXPECT_EQ(bad, 0) << "of " << g.v.size() << " elements, shape " << want.shape.to_string();
}

void for_each_index(const Shape& s,
                    const std::function<void(const std::vector<int64_t>&, int64_t)>& f) {
  std::vector<int64_t> idx(s.rank(), 0);
  const int64_t n = s.numel();
  for (int64_t flat = 0; flat < n; ++flat) {
    f(idx, flat);
    for (size_t d = s.rank(); d-- > 0;) {
      if (++idx[d] < s[d]) break;
      idx[d] = 0;
    }
  }
}

}  // namespace tl::test
