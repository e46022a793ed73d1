// SPIR-V of the kernels in shaders/*.comp, compiled and embedded at build time
// (shaders/CMakeLists.txt generates the definition).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace tl::vk {

// The SPIR-V words of shaders/<name>.comp; empty when there is no such kernel.
std::span<const uint32_t> find_spirv(std::string_view name);

}  // namespace tl::vk
