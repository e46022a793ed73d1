// The loader library, opened at run time (vm/vulkan/api.h): what a machine without it gets, and
// that the table the backend calls through is complete.
#include <string>

#include "tests/vulkan/vulkan_test_util.h"
#include "vm/core/error.h"

namespace tl::test {
namespace {

// The message of the RuntimeError that making a backend with `opts` throws ("" when none).
std::string backend_error(const vk::DeviceOptions& opts) {
  try {
    VulkanBackend b{opts};
  } catch (const RuntimeError& e) {
    return e.what();
  }
  return "";
}

TEST(VulkanLoader, AMissingLoaderIsAClearError) {
  vk::DeviceOptions o;
  o.loader = "libvulkan-tl-test-missing.so.1";
  const std::string msg = backend_error(o);
  EXPECT_NE(msg.find("cannot load the Vulkan loader libvulkan-tl-test-missing.so.1"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("libvulkan1"), std::string::npos) << msg;    // the package to install
  EXPECT_NE(msg.find("--device cpu"), std::string::npos) << msg;  // or do without
}

TEST(VulkanLoader, ALibraryThatIsNotALoaderIsAClearError) {
  vk::DeviceOptions o;
  o.loader = "libm.so.6";  // opens, but has no vkGetInstanceProcAddr
  const std::string msg = backend_error(o);
  EXPECT_NE(msg.find("libm.so.6 is not a Vulkan loader"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--device cpu"), std::string::npos) << msg;
}

TEST(VulkanLoader, WithoutALoaderThereAreNoDevices) {
  // What `--device auto` asks: no loader means the CPU backend, not an error.
  EXPECT_TRUE(vk::enumerate_devices("libvulkan-tl-test-missing.so.1").empty());
}

TEST(VulkanLoader, EveryFunctionIsLoadedOnceTheDeviceExists) {
  if (vk::enumerate_devices().empty()) GTEST_SKIP() << "no Vulkan device";
  VulkanBackend b{vk::DeviceOptions{}};
  const vk::Api& api = b.device().api();
  EXPECT_NE(api.vkGetInstanceProcAddr, nullptr);
#define TL_VK_EXPECT_LOADED(name) EXPECT_NE(api.name, nullptr) << #name;
  TL_VK_GLOBAL_FUNCTIONS(TL_VK_EXPECT_LOADED)
  TL_VK_INSTANCE_FUNCTIONS(TL_VK_EXPECT_LOADED)
  TL_VK_DEVICE_FUNCTIONS(TL_VK_EXPECT_LOADED)
#undef TL_VK_EXPECT_LOADED
}

}  // namespace
}  // namespace tl::test
