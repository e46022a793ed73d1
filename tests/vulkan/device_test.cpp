// Device selection, memory and batching.
#include <cstdlib>

#include "tests/vulkan/vulkan_test_util.h"
#include "vm/core/error.h"

namespace tl::test {
namespace {

TEST(VulkanDevice, EnumerationAgreesWithHasGpu) {
  const auto devs = vk::enumerate_devices();
  bool gpu = false;
  for (const auto& d : devs) gpu |= d.usable() && d.is_gpu();
  EXPECT_EQ(vk::has_gpu(), gpu);
}

TEST(VulkanDevice, BadDeviceChoiceIsAClearError) {
  if (vk::enumerate_devices().empty()) GTEST_SKIP() << "no Vulkan device";
  vk::DeviceOptions o;
  o.index = 999;
  EXPECT_THROW(VulkanBackend{o}, RuntimeError);
  setenv("TL_VULKAN_DEVICE", "gpu", 1);
  try {
    VulkanBackend b{vk::DeviceOptions{}};
    ADD_FAILURE() << "TL_VULKAN_DEVICE=gpu accepted";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("TL_VULKAN_DEVICE"), std::string::npos) << e.what();
  }
  setenv("TL_VULKAN_DEVICE", "0", 1);
  VulkanBackend b{vk::DeviceOptions{}};
  EXPECT_EQ(b.device().info().index, 0);
  unsetenv("TL_VULKAN_DEVICE");
}

TEST(VulkanDevice, ValidationLayerReportsMisuse) {
  // Guards the other tests: proves the layer is live and its messages reach the callback.
  if (vk::enumerate_devices().empty()) GTEST_SKIP() << "no Vulkan device";
  std::vector<std::string> seen;
  vk::DeviceOptions o;
  o.validation = true;
  o.on_message = [&](std::string_view m) { seen.emplace_back(m); };
  VulkanBackend b{o};
  VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  ai.allocationSize = 0;  // VUID-VkMemoryAllocateInfo-allocationSize-00638
  VkDeviceMemory mem = VK_NULL_HANDLE;
  const vk::Api& api = b.device().api();
  api.vkAllocateMemory(b.device().get(), &ai, nullptr, &mem);
  if (mem) api.vkFreeMemory(b.device().get(), mem, nullptr);
  EXPECT_FALSE(seen.empty());
}

using VulkanMemory = VulkanTest;

TEST_F(VulkanMemory, UploadDownloadRoundTripsOddSizes) {
  for (const Shape& s : {Shape{}, Shape{1}, Shape{3}, Shape{5, 7}, Shape{2, 3, 129}, Shape{0, 4}}) {
    const HostTensor h = random(s);
    const Tensor t = up(h);
    EXPECT_EQ(t.shape, s);
    expect_near(t, h, 0, 0);
  }
}

TEST_F(VulkanMemory, WrongByteCountIsAnError) {
  std::vector<std::byte> data(5);
  EXPECT_THROW(be->upload(Shape{3}, DType::F16, data), RuntimeError);
  EXPECT_THROW(be->upload(Shape{3}, DType::F32, data), RuntimeError);
}

TEST_F(VulkanMemory, FreedMemoryIsReused) {
  const HostTensor h = random(Shape{1000});
  { const Tensor t = up(h); }
  const auto before = be->memory().bytes_in_use();
  for (int i = 0; i < 20; ++i) {
    const Tensor t = be->binary_scalar(BinaryOp::Add, up(h), 1.0f, false);
    be->synchronize();
  }
  EXPECT_EQ(be->memory().bytes_in_use(), before);
}

TEST_F(VulkanMemory, LongChainsCrossManyBatches) {
  // More ops than one command buffer holds, each reading the previous result.
  Tensor t = be->full(Shape{33, 17}, 0.0f);
  for (int i = 0; i < 3 * static_cast<int>(vk::Stream::kBatchOps) + 5; ++i)
    t = be->binary_scalar(BinaryOp::Add, t, 0.25f, false);
  HostTensor want{Shape{33, 17},
                  std::vector<double>(33 * 17, 0.25 * (3 * vk::Stream::kBatchOps + 5))};
  expect_near(t, want, 0, 0);
}

TEST_F(VulkanMemory, GridStrideCoversLargeTensors) {
  const int64_t n = int64_t{65535} * 256 + 777;
  const Tensor t = be->binary_scalar(BinaryOp::Mul, be->full(Shape{n}, 1.5f), 2.0f, true);
  const HostTensor g = down(t);
  int bad = 0;
  for (double v : g.v) bad += v != 3.0;
  EXPECT_EQ(bad, 0);
}

TEST_F(VulkanMemory, PipelinesAreBuiltOnce) {
  const Tensor a = up(random(Shape{8}));
  be->unary(UnaryOp::Relu, a);
  const size_t n = be->pipelines_built();
  be->unary(UnaryOp::Relu, a);
  be->unary(UnaryOp::Relu, a);
  EXPECT_EQ(be->pipelines_built(), n);
  be->unary(UnaryOp::Exp, a);
  EXPECT_EQ(be->pipelines_built(), n + 1);
}

}  // namespace
}  // namespace tl::test
