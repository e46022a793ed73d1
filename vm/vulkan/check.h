// VkResult -> tl::RuntimeError. Device loss and out-of-memory get messages a user can act on.
#pragma once

#include <string_view>

#include "vm/vulkan/api.h"

namespace tl::vk {

std::string_view result_name(VkResult r);
// Throws RuntimeError naming `what` when r is an error code.
void check(VkResult r, std::string_view what);

}  // namespace tl::vk
