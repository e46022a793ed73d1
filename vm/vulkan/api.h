// The Vulkan entry points the backend calls, fetched at run time from the loader library instead
// of being linked: a binary then does not name libvulkan.so.1 at all, so it starts without paying
// for the loader and starts at all on a machine without one (docs/vulkan.md, "The loader").
//
// Every vm/vulkan file includes this header instead of <vulkan/vulkan.h>. tl_vulkan compiles with
// VK_NO_PROTOTYPES, so calling a vk* function without the table does not compile: add it to the
// list below, in the group that says how it is fetched.
#pragma once

#include <vulkan/vulkan.h>

#include <string>
#include <string_view>

#ifndef VK_NO_PROTOTYPES
#error "tl_vulkan is built with VK_NO_PROTOTYPES: every Vulkan call goes through vk::Api"
#endif

// Fetched with vkGetInstanceProcAddr(nullptr, name): usable before there is an instance.
#define TL_VK_GLOBAL_FUNCTIONS(X) \
  X(vkCreateInstance)             \
  X(vkEnumerateInstanceLayerProperties)

// Fetched with vkGetInstanceProcAddr(instance, name). vkDestroyInstance first (as vkDestroyDevice
// below): when a later function is missing, the half-loaded table can still destroy the handle.
#define TL_VK_INSTANCE_FUNCTIONS(X)           \
  X(vkDestroyInstance)                        \
  X(vkEnumeratePhysicalDevices)               \
  X(vkGetPhysicalDeviceProperties)            \
  X(vkGetPhysicalDeviceProperties2)           \
  X(vkGetPhysicalDeviceFeatures2)             \
  X(vkGetPhysicalDeviceMemoryProperties)      \
  X(vkGetPhysicalDeviceQueueFamilyProperties) \
  X(vkCreateDevice)                           \
  X(vkGetDeviceProcAddr)

// Instance-level too, but only there when VK_EXT_debug_utils is enabled (validation): null else.
#define TL_VK_DEBUG_UTILS_FUNCTIONS(X) \
  X(vkCreateDebugUtilsMessengerEXT)    \
  X(vkDestroyDebugUtilsMessengerEXT)

// Fetched with vkGetDeviceProcAddr(device, name): the driver's own functions, without the
// loader's per-call dispatch through the instance.
#define TL_VK_DEVICE_FUNCTIONS(X)  \
  X(vkDestroyDevice)               \
  X(vkDeviceWaitIdle)              \
  X(vkGetDeviceQueue)              \
  X(vkQueueSubmit)                 \
  X(vkCreateBuffer)                \
  X(vkDestroyBuffer)               \
  X(vkGetBufferMemoryRequirements) \
  X(vkAllocateMemory)              \
  X(vkFreeMemory)                  \
  X(vkBindBufferMemory)            \
  X(vkMapMemory)                   \
  X(vkCreatePipelineCache)         \
  X(vkDestroyPipelineCache)        \
  X(vkCreateDescriptorSetLayout)   \
  X(vkDestroyDescriptorSetLayout)  \
  X(vkCreatePipelineLayout)        \
  X(vkDestroyPipelineLayout)       \
  X(vkCreateShaderModule)          \
  X(vkDestroyShaderModule)         \
  X(vkCreateComputePipelines)      \
  X(vkDestroyPipeline)             \
  X(vkCreateCommandPool)           \
  X(vkDestroyCommandPool)          \
  X(vkAllocateCommandBuffers)      \
  X(vkBeginCommandBuffer)          \
  X(vkEndCommandBuffer)            \
  X(vkCreateFence)                 \
  X(vkDestroyFence)                \
  X(vkResetFences)                 \
  X(vkWaitForFences)               \
  X(vkCreateDescriptorPool)        \
  X(vkDestroyDescriptorPool)       \
  X(vkResetDescriptorPool)         \
  X(vkAllocateDescriptorSets)      \
  X(vkUpdateDescriptorSets)        \
  X(vkCmdPipelineBarrier)          \
  X(vkCmdBindPipeline)             \
  X(vkCmdBindDescriptorSets)       \
  X(vkCmdPushConstants)            \
  X(vkCmdDispatch)                 \
  X(vkCmdCopyBuffer)

namespace tl::vk {

// The loader library's soname (the libvulkan1 package on Debian and Ubuntu).
inline constexpr std::string_view kLoaderLibrary = "libvulkan.so.1";

// The loader library, opened with dlopen and closed when this dies. Whatever owns a VkInstance
// owns one of these too and declares it first, so the library outlives every handle and every
// function pointer taken from it.
class LoaderLibrary {
 public:
  // Throws RuntimeError naming `name` and what to do when it cannot be opened or is not a
  // Vulkan loader (no vkGetInstanceProcAddr).
  explicit LoaderLibrary(std::string_view name = kLoaderLibrary);
  LoaderLibrary(const LoaderLibrary&) = delete;
  LoaderLibrary& operator=(const LoaderLibrary&) = delete;
  ~LoaderLibrary();

  PFN_vkGetInstanceProcAddr get_instance_proc_addr() const { return get_instance_proc_addr_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  void* handle_ = nullptr;
  PFN_vkGetInstanceProcAddr get_instance_proc_addr_ = nullptr;
};

// The function table. Filled in three steps, as the handles that fetch each group appear; a
// function that a step finds missing is a RuntimeError naming it (the debug-utils pair may stay
// null). The pointers stay valid as long as the LoaderLibrary they came from.
struct Api {
#define TL_VK_MEMBER(name) PFN_##name name = nullptr;
  PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr = nullptr;
  TL_VK_GLOBAL_FUNCTIONS(TL_VK_MEMBER)
  TL_VK_INSTANCE_FUNCTIONS(TL_VK_MEMBER)
  TL_VK_DEBUG_UTILS_FUNCTIONS(TL_VK_MEMBER)
  TL_VK_DEVICE_FUNCTIONS(TL_VK_MEMBER)
#undef TL_VK_MEMBER

  // The global functions, through the library's vkGetInstanceProcAddr.
  explicit Api(const LoaderLibrary& library);
  void load_instance(VkInstance instance);
  void load_device(VkDevice device);
};

}  // namespace tl::vk
