// The Vulkan instance, the chosen physical device and its logical device + compute queue.
//
// Selection: DeviceOptions::index, else the TL_VULKAN_DEVICE environment variable, else the best
// usable device by type (discrete > integrated > virtual > CPU). A device is usable when it
// supports Vulkan 1.2 and the features the kernels need (shaderFloat16,
// storageBuffer16BitAccess, storageBuffer8BitAccess for quantized blocks).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vm/vulkan/api.h"
#include "vm/vulkan/handle.h"

namespace tl::vk {

struct DeviceOptions {
  std::optional<int> index;  // a device number as listed by enumerate_devices()
  // Enables VK_LAYER_KHRONOS_validation and a debug-utils messenger that passes every warning
  // and error message to on_message (tests turn them into failures).
  bool validation = false;
  std::function<void(std::string_view)> on_message;
  // On CPU-type devices (lavapipe), use the GEMM / matrix-vector kernels written for CPUs
  // (matmul_reg, matvec_cpu). false: the GPU kernels everywhere (tests cover both this way).
  bool cpu_kernels = true;
  // The Vulkan loader library to open (tests name one that does not exist).
  std::string loader = std::string(kLoaderLibrary);
};

struct DeviceInfo {
  int index = 0;
  std::string name;
  VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
  std::string missing;  // empty when usable; else what it lacks
  bool usable() const { return missing.empty(); }
  bool is_gpu() const { return type != VK_PHYSICAL_DEVICE_TYPE_CPU; }
};

// Every physical device; empty when there is no Vulkan loader or driver.
std::vector<DeviceInfo> enumerate_devices(std::string_view loader = kLoaderLibrary);
// True when a usable, non-CPU Vulkan device exists (what `--device auto` asks).
bool has_gpu();
std::string_view device_type_name(VkPhysicalDeviceType t);

class Device {
 public:
  explicit Device(const DeviceOptions& opts);
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;
  ~Device();

  // Every Vulkan call on this device goes through this table (valid as long as the Device).
  const Api& api() const { return api_; }
  VkDevice get() const { return device_.get(); }
  VkPhysicalDevice physical() const { return physical_; }
  VkQueue queue() const { return queue_; }
  uint32_t queue_family() const { return queue_family_; }
  const VkPhysicalDeviceProperties& properties() const { return props_; }
  const VkPhysicalDeviceMemoryProperties& memory_properties() const { return mem_props_; }
  uint32_t subgroup_size() const { return subgroup_size_; }
  const DeviceInfo& info() const { return info_; }
  // Messages from the validation layer seen so far (only with DeviceOptions::validation).
  size_t message_count() const { return message_count_; }

 private:
  static VKAPI_ATTR VkBool32 VKAPI_CALL on_debug(VkDebugUtilsMessageSeverityFlagBitsEXT,
                                                 VkDebugUtilsMessageTypeFlagsEXT,
                                                 const VkDebugUtilsMessengerCallbackDataEXT*,
                                                 void*);

  std::function<void(std::string_view)> on_message_;
  size_t message_count_ = 0;
  // Declared before every handle: members die in reverse order, and the library must outlive
  // all of them (their destroyers call through api_).
  LoaderLibrary library_;
  Api api_;
  Unique<VkInstance> instance_;
  Unique<VkDebugUtilsMessengerEXT> messenger_;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  Unique<VkDevice> device_;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t queue_family_ = 0;
  VkPhysicalDeviceProperties props_{};
  VkPhysicalDeviceMemoryProperties mem_props_{};
  uint32_t subgroup_size_ = 1;
  DeviceInfo info_;
};

}  // namespace tl::vk
