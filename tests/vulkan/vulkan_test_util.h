// Test support: a validated Vulkan backend per test, random f16 data, float64 references.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "vm/vulkan/strides.h"
#include "vm/vulkan/vulkan_backend.h"

namespace tl::test {

// Values after f16 storage, with their bits.
struct HostTensor {
  Shape shape;
  std::vector<double> v;
  std::vector<f16_bits> bits() const;
};

class VulkanTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // Recreates the backend with the GPU kernels even on a CPU-type device (see cpu_kernels).
  void use_gpu_kernels();
  void TearDown() override;

  // Uniform in [lo, hi], rounded to f16.
  HostTensor random(const Shape& s, double lo = -2.0, double hi = 2.0);
  Tensor up(const HostTensor& h);
  HostTensor down(const Tensor& t);
  // Every element within atol + rtol * |want|; shapes equal.
  void expect_near(const Tensor& got, const HostTensor& want, double atol, double rtol);

  std::unique_ptr<VulkanBackend> be;
  std::mt19937 rng{1234};
};

// The elements of a shape, visited with their multi-index.
void for_each_index(const Shape& s,
                    const std::function<void(const std::vector<int64_t>&, int64_t)>& f);

// f16 result tolerance: results are rounded once to f16 (relative step 2^-11), kernels may
// round f32 -> f16 by truncation on some drivers, so allow one f16 ulp relative plus a floor.
inline constexpr double kRtol = 1.0 / 1024;
inline constexpr double kAtol = 1e-3;

}  // namespace tl::test
