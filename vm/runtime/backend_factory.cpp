#include "vm/runtime/backend_factory.h"

#include <string>

#ifdef TL_HAVE_CPU_BACKEND
#include "vm/cpu/cpu_backend.h"
#endif

namespace tl {

std::unique_ptr<Backend> make_backend(std::string_view device) {
  if (device == "vulkan")
    throw BackendUnavailable("the vulkan device is not available in this build");
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
