#include "vm/vulkan/check.h"

#include <fmt/format.h>

#include "vm/core/error.h"

namespace tl::vk {

std::string_view result_name(VkResult r) {
  switch (r) {
#define TL_VK_RESULT(x) \
  case x:               \
    return #x;
    TL_VK_RESULT(VK_SUCCESS)
    TL_VK_RESULT(VK_NOT_READY)
    TL_VK_RESULT(VK_TIMEOUT)
    TL_VK_RESULT(VK_INCOMPLETE)
    TL_VK_RESULT(VK_ERROR_OUT_OF_HOST_MEMORY)
    TL_VK_RESULT(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    TL_VK_RESULT(VK_ERROR_INITIALIZATION_FAILED)
    TL_VK_RESULT(VK_ERROR_DEVICE_LOST)
    TL_VK_RESULT(VK_ERROR_MEMORY_MAP_FAILED)
    TL_VK_RESULT(VK_ERROR_LAYER_NOT_PRESENT)
    TL_VK_RESULT(VK_ERROR_EXTENSION_NOT_PRESENT)
    TL_VK_RESULT(VK_ERROR_FEATURE_NOT_PRESENT)
    TL_VK_RESULT(VK_ERROR_INCOMPATIBLE_DRIVER)
    TL_VK_RESULT(VK_ERROR_TOO_MANY_OBJECTS)
    TL_VK_RESULT(VK_ERROR_FORMAT_NOT_SUPPORTED)
    TL_VK_RESULT(VK_ERROR_FRAGMENTED_POOL)
    TL_VK_RESULT(VK_ERROR_OUT_OF_POOL_MEMORY)
    TL_VK_RESULT(VK_ERROR_UNKNOWN)
#undef TL_VK_RESULT
    default:
      return "VK_ERROR_(unnamed)";
  }
}

void check(VkResult r, std::string_view what) {
  if (r >= 0) return;
  switch (r) {
    case VK_ERROR_DEVICE_LOST:
      throw RuntimeError(fmt::format(
          "Vulkan device lost during {} (driver reset, GPU hang or a kernel fault); results of "
          "pending tensor operations are gone: rerun, or use --device cpu",
          what));
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
      throw RuntimeError(fmt::format(
          "out of GPU memory during {}: the model and its activations do not fit on this device; "
          "try a smaller or more quantized model, or --device cpu",
          what));
    case VK_ERROR_OUT_OF_HOST_MEMORY:
      throw RuntimeError(fmt::format("out of host memory during {} (Vulkan)", what));
    default:
      throw RuntimeError(fmt::format("Vulkan error {} during {}", result_name(r), what));
  }
}

}  // namespace tl::vk
