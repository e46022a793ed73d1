#include "vm/runtime/backend_factory.h"

#include <string>

#ifdef TL_HAVE_CPU_BACKEND
#include "vm/cpu/cpu_backend.h"
#endif
#ifdef TL_HAVE_VULKAN_BACKEND
#include "vm/vulkan/device.h"
#include "vm/vulkan/vulkan_backend.h"
#endif

namespace tl {

std::unique_ptr<Backend> make_backend(std::string_view device) {
  if (device == "vulkan") {
#ifdef TL_HAVE_VULKAN_BACKEND
    try {
      return make_vulkan_backend();
    } catch (const std::exception& e) {
      throw BackendUnavailable(std::string("cannot use Vulkan: ") + e.what());
    }
#else
    throw BackendUnavailable("the Vulkan device is not available in this build");
#endif
  }
#ifdef TL_HAVE_VULKAN_BACKEND
  // On a CPU-only machine the CPU backend beats a software Vulkan device (lavapipe).
  if (device == "auto" && vk::has_gpu()) return make_vulkan_backend();
#endif
  if (device == "cpu" || device == "auto") {
#ifdef TL_HAVE_CPU_BACKEND
    return std::make_unique<CpuBackend>();
#else
    return nullptr;
#endif
  }
  throw std::invalid_argument("unknown device '" + std::string(device) +
                              "' (expected cpu, vulkan or auto)");
}

}  // namespace tl
