#include "vm/vulkan/device.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "vm/core/error.h"
#include "vm/vulkan/check.h"

namespace tl::vk {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

// Creates the instance and fills in api's instance-level functions.
Unique<VkInstance> make_instance(Api& api, bool validation,
                                 const VkDebugUtilsMessengerCreateInfoEXT* dbg) {
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "tensorlogic";
  app.pEngineName = "tensorlogic";
  app.apiVersion = VK_API_VERSION_1_2;
  VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  ci.pApplicationInfo = &app;
  const char* ext = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
  if (validation) {
    uint32_t n = 0;
    api.vkEnumerateInstanceLayerProperties(&n, nullptr);
    std::vector<VkLayerProperties> layers(n);
    api.vkEnumerateInstanceLayerProperties(&n, layers.data());
    const bool have = std::any_of(layers.begin(), layers.end(), [](const VkLayerProperties& l) {
      return std::strcmp(l.layerName, kValidationLayer) == 0;
    });
    if (!have)
      throw RuntimeError(
          "Vulkan validation requested but VK_LAYER_KHRONOS_validation is not installed "
          "(Debian: vulkan-validationlayers)");
    ci.enabledLayerCount = 1;
    ci.ppEnabledLayerNames = &kValidationLayer;
    ci.enabledExtensionCount = 1;
    ci.ppEnabledExtensionNames = &ext;
    ci.pNext = dbg;  // also reports problems in vkCreateInstance / vkDestroyInstance
  }
  VkInstance inst = VK_NULL_HANDLE;
  check(api.vkCreateInstance(&ci, nullptr, &inst), "creating the Vulkan instance");
  // Through the table, not a copy of the pointer: load_instance fetches vkDestroyInstance first,
  // so when a later function is missing the instance is still destroyed.
  Unique<VkInstance> owner(inst, [&api](VkInstance i) {
    if (api.vkDestroyInstance) api.vkDestroyInstance(i, nullptr);
  });
  api.load_instance(inst);
  return owner;
}

std::vector<VkPhysicalDevice> physical_devices(const Api& api, VkInstance inst) {
  uint32_t n = 0;
  check(api.vkEnumeratePhysicalDevices(inst, &n, nullptr), "enumerating Vulkan devices");
  std::vector<VkPhysicalDevice> devs(n);
  check(api.vkEnumeratePhysicalDevices(inst, &n, devs.data()), "enumerating Vulkan devices");
  devs.resize(n);
  return devs;
}

std::optional<uint32_t> compute_queue_family(const Api& api, VkPhysicalDevice pd) {
  uint32_t n = 0;
  api.vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, nullptr);
  std::vector<VkQueueFamilyProperties> fams(n);
  api.vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, fams.data());
  for (uint32_t i = 0; i < n; ++i)
    if (fams[i].queueFlags & VK_QUEUE_COMPUTE_BIT) return i;
  return std::nullopt;
}

DeviceInfo describe(const Api& api, VkPhysicalDevice pd, int index) {
  VkPhysicalDeviceProperties p;
  api.vkGetPhysicalDeviceProperties(pd, &p);
  DeviceInfo info{index, p.deviceName, p.deviceType, ""};
  std::vector<std::string> missing;
  if (p.apiVersion < VK_API_VERSION_1_2) {
    missing.push_back("Vulkan 1.2");
  } else {
    VkPhysicalDeviceVulkan11Features f11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
    VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    f11.pNext = &f12;
    VkPhysicalDeviceFeatures2 f{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    f.pNext = &f11;
    api.vkGetPhysicalDeviceFeatures2(pd, &f);
    if (!f12.shaderFloat16) missing.push_back("shaderFloat16");
    if (!f11.storageBuffer16BitAccess) missing.push_back("storageBuffer16BitAccess");
    if (!f12.storageBuffer8BitAccess) missing.push_back("storageBuffer8BitAccess");
    if (!f12.shaderInt8) missing.push_back("shaderInt8");
  }
  if (!compute_queue_family(api, pd)) missing.push_back("a compute queue");
  info.missing = fmt::format("{}", fmt::join(missing, ", "));
  return info;
}

int type_rank(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return 4;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return 3;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return 1;
    default:
      return 0;
  }
}

std::optional<int> env_device_index() {
  const char* s = std::getenv("TL_VULKAN_DEVICE");
  if (!s || !*s) return std::nullopt;
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (*end != '\0' || v < 0 || v > 1000)
    throw RuntimeError(
        fmt::format("TL_VULKAN_DEVICE must be a device number (0, 1, ...), got '{}'", s));
  return static_cast<int>(v);
}

}  // namespace

std::string_view device_type_name(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return "CPU";
    default:
      return "other";
  }
}

std::vector<DeviceInfo> enumerate_devices(std::string_view loader) {
  try {
    // In this order so that they die in the reverse one: the library last.
    LoaderLibrary library(loader);
    Api api(library);
    Unique<VkInstance> inst = make_instance(api, false, nullptr);
    std::vector<DeviceInfo> out;
    int i = 0;
    for (VkPhysicalDevice pd : physical_devices(api, inst.get()))
      out.push_back(describe(api, pd, i++));
    return out;
  } catch (const RuntimeError&) {
    return {};  // no loader, no driver: no devices
  }
}

bool has_gpu() {
  for (const DeviceInfo& d : enumerate_devices())
    if (d.usable() && d.is_gpu()) return true;
  return false;
}

VKAPI_ATTR VkBool32 VKAPI_CALL Device::on_debug(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                VkDebugUtilsMessageTypeFlagsEXT,
                                                const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                void* user) {
  auto* self = static_cast<Device*>(user);
  ++self->message_count_;
  const char* level =
      severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT ? "error" : "warning";
  const std::string msg = fmt::format("Vulkan validation {}: {}", level,
                                      data && data->pMessage ? data->pMessage : "(no message)");
  if (self->on_message_)
    self->on_message_(msg);
  else
    fmt::print(stderr, "{}\n", msg);
  return VK_FALSE;
}

Device::Device(const DeviceOptions& opts)
    : on_message_(opts.on_message), library_(opts.loader), api_(library_) {
  VkDebugUtilsMessengerCreateInfoEXT dbg{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  dbg.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                        VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  dbg.messageType =
      VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT;
  dbg.pfnUserCallback = &Device::on_debug;
  dbg.pUserData = this;
  instance_ = make_instance(api_, opts.validation, &dbg);

  if (opts.validation) {
    const auto create = api_.vkCreateDebugUtilsMessengerEXT;
    const auto destroy = api_.vkDestroyDebugUtilsMessengerEXT;
    if (!create || !destroy) throw RuntimeError("VK_EXT_debug_utils is not available");
    VkDebugUtilsMessengerEXT m = VK_NULL_HANDLE;
    check(create(instance_.get(), &dbg, nullptr, &m), "creating the validation messenger");
    VkInstance inst = instance_.get();
    messenger_ = Unique<VkDebugUtilsMessengerEXT>(
        m, [inst, destroy](VkDebugUtilsMessengerEXT h) { destroy(inst, h, nullptr); });
  }

  const std::vector<VkPhysicalDevice> devs = physical_devices(api_, instance_.get());
  if (devs.empty()) throw RuntimeError("no Vulkan device found (is a Vulkan driver installed?)");
  std::vector<DeviceInfo> infos;
  for (size_t i = 0; i < devs.size(); ++i)
    infos.push_back(describe(api_, devs[i], static_cast<int>(i)));

  const std::optional<int> wanted = opts.index ? opts.index : env_device_index();
  int chosen = -1;
  if (wanted) {
    if (*wanted >= static_cast<int>(devs.size()))
      throw RuntimeError(fmt::format("Vulkan device {} requested, but there are only {} device(s)",
                                     *wanted, devs.size()));
    chosen = *wanted;
  } else {
    for (const DeviceInfo& d : infos)
      if (d.usable() && (chosen < 0 || type_rank(d.type) > type_rank(infos[chosen].type)))
        chosen = d.index;
    if (chosen < 0) chosen = 0;  // none usable: report what the first one lacks
  }
  info_ = infos[chosen];
  if (!info_.usable())
    throw RuntimeError(
        fmt::format("Vulkan device {} ({}) cannot run TensorLogic kernels: it lacks {}", chosen,
                    info_.name, info_.missing));
  physical_ = devs[chosen];
  api_.vkGetPhysicalDeviceProperties(physical_, &props_);
  api_.vkGetPhysicalDeviceMemoryProperties(physical_, &mem_props_);
  VkPhysicalDeviceSubgroupProperties sub{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  p2.pNext = &sub;
  api_.vkGetPhysicalDeviceProperties2(physical_, &p2);
  subgroup_size_ = std::max(1u, sub.subgroupSize);
  queue_family_ = *compute_queue_family(api_, physical_);

  const float priority = 1.0f;
  VkDeviceQueueCreateInfo qci{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  qci.queueFamilyIndex = queue_family_;
  qci.queueCount = 1;
  qci.pQueuePriorities = &priority;
  VkPhysicalDeviceVulkan11Features f11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  f11.storageBuffer16BitAccess = VK_TRUE;
  VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  f12.shaderFloat16 = VK_TRUE;
  f12.shaderInt8 = VK_TRUE;
  f12.storageBuffer8BitAccess = VK_TRUE;
  f11.pNext = &f12;
  VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  dci.pNext = &f11;
  dci.queueCreateInfoCount = 1;
  dci.pQueueCreateInfos = &qci;
  VkDevice dev = VK_NULL_HANDLE;
  check(api_.vkCreateDevice(physical_, &dci, nullptr, &dev), "creating the Vulkan device");
  // Through the table, as for the instance: the device-level entries are filled in only below,
  // and if load_device throws, the device is destroyed with whatever it found.
  device_ = Unique<VkDevice>(dev, [api = &api_](VkDevice d) {
    if (api->vkDeviceWaitIdle) api->vkDeviceWaitIdle(d);
    if (api->vkDestroyDevice) api->vkDestroyDevice(d, nullptr);
  });
  api_.load_device(dev);
  api_.vkGetDeviceQueue(dev, queue_family_, 0, &queue_);
}

Device::~Device() = default;

}  // namespace tl::vk
