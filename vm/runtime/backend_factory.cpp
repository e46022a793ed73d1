#include "vm/runtime/backend_factory.h"

#include <string>

namespace tl {

std::unique_ptr<Backend> make_backend(std::string_view device) {
  if (device == "vulkan")
    throw BackendUnavailable("the vulkan device is not available in this build");
  if (device == "cpu" || device == "auto") return nullptr;  // tl_cpu plugs in here
  throw std::invalid_argument("unknown device '" + std::string(device) +
                              "' (expected cpu, vulkan or auto)");
}

}  // namespace tl
