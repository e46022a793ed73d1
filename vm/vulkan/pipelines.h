// Compute pipelines, created once per (kernel, specialisation constants) and kept for the life
// of the backend; a VkPipelineCache lets the driver reuse compiled code across variants.
//
// Every kernel has the same interface shape: `bindings` storage buffers at set 0, bindings
// 0..n-1, and one push-constant block of at most kPushBytes bytes.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vm/vulkan/device.h"

namespace tl::vk {

inline constexpr uint32_t kPushBytes = 128;

struct Pipeline {
  VkPipeline pipeline = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  uint32_t bindings = 0;
};

class Pipelines {
 public:
  explicit Pipelines(const Device& device);
  Pipelines(const Pipelines&) = delete;
  Pipelines& operator=(const Pipelines&) = delete;

  // The pipeline of shaders/<kernel>.comp with specialisation constants 0..n-1 = spec.
  const Pipeline& get(std::string_view kernel, uint32_t bindings,
                      std::span<const uint32_t> spec = {});
  size_t size() const { return pipelines_.size(); }

 private:
  struct Layout {
    Unique<VkDescriptorSetLayout> set;
    Unique<VkPipelineLayout> pipeline;
  };
  struct Entry {
    Pipeline p;
    Unique<VkPipeline> owner;
  };
  const Layout& layout(uint32_t bindings);
  VkShaderModule module(std::string_view kernel);

  const Device& device_;
  Unique<VkPipelineCache> cache_;
  std::map<uint32_t, Layout> layouts_;
  std::map<std::string, Unique<VkShaderModule>, std::less<>> modules_;
  std::map<std::string, Entry, std::less<>> pipelines_;
};

}  // namespace tl::vk
