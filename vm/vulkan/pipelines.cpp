#include "vm/vulkan/pipelines.h"

#include <fmt/format.h>

#include "vm/core/error.h"
#include "vm/vulkan/check.h"
#include "vm/vulkan/spirv.h"

namespace tl::vk {

Pipelines::Pipelines(const Device& device) : device_(device) {
  const Api& api = device.api();
  VkDevice dev = device.get();
  VkPipelineCacheCreateInfo ci{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
  VkPipelineCache c = VK_NULL_HANDLE;
  check(api.vkCreatePipelineCache(dev, &ci, nullptr, &c), "creating the pipeline cache");
  cache_ = Unique<VkPipelineCache>(c, [dev, destroy = api.vkDestroyPipelineCache](
                                          VkPipelineCache h) { destroy(dev, h, nullptr); });
}

const Pipelines::Layout& Pipelines::layout(uint32_t bindings) {
  auto it = layouts_.find(bindings);
  if (it != layouts_.end()) return it->second;
  const Api& api = device_.api();
  VkDevice dev = device_.get();
  std::vector<VkDescriptorSetLayoutBinding> b(bindings);
  for (uint32_t i = 0; i < bindings; ++i)
    b[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  VkDescriptorSetLayoutCreateInfo sci{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  sci.bindingCount = bindings;
  sci.pBindings = b.data();
  Layout l;
  VkDescriptorSetLayout sl = VK_NULL_HANDLE;
  check(api.vkCreateDescriptorSetLayout(dev, &sci, nullptr, &sl),
        "creating a descriptor set layout");
  l.set =
      Unique<VkDescriptorSetLayout>(sl, [dev, destroy = api.vkDestroyDescriptorSetLayout](
                                            VkDescriptorSetLayout h) { destroy(dev, h, nullptr); });
  VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, kPushBytes};
  VkPipelineLayoutCreateInfo pci{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  pci.setLayoutCount = 1;
  pci.pSetLayouts = &sl;
  pci.pushConstantRangeCount = 1;
  pci.pPushConstantRanges = &range;
  VkPipelineLayout pl = VK_NULL_HANDLE;
  check(api.vkCreatePipelineLayout(dev, &pci, nullptr, &pl), "creating a pipeline layout");
  l.pipeline = Unique<VkPipelineLayout>(pl, [dev, destroy = api.vkDestroyPipelineLayout](
                                                VkPipelineLayout h) { destroy(dev, h, nullptr); });
  return layouts_.emplace(bindings, std::move(l)).first->second;
}

VkShaderModule Pipelines::module(std::string_view kernel) {
  auto it = modules_.find(kernel);
  if (it != modules_.end()) return it->second.get();
  const std::span<const uint32_t> code = find_spirv(kernel);
  if (code.empty()) throw RuntimeError(fmt::format("no Vulkan kernel named '{}'", kernel));
  const Api& api = device_.api();
  VkDevice dev = device_.get();
  VkShaderModuleCreateInfo ci{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  ci.codeSize = code.size_bytes();
  ci.pCode = code.data();
  VkShaderModule m = VK_NULL_HANDLE;
  check(api.vkCreateShaderModule(dev, &ci, nullptr, &m), fmt::format("loading kernel {}", kernel));
  modules_.emplace(std::string(kernel),
                   Unique<VkShaderModule>(m, [dev, destroy = api.vkDestroyShaderModule](
                                                 VkShaderModule h) { destroy(dev, h, nullptr); }));
  return m;
}

const Pipeline& Pipelines::get(std::string_view kernel, uint32_t bindings,
                               std::span<const uint32_t> spec) {
  std::string key = fmt::format("{}/{}/{}", kernel, bindings, fmt::join(spec, ","));
  auto it = pipelines_.find(key);
  if (it != pipelines_.end()) return it->second.p;

  const Layout& l = layout(bindings);
  std::vector<VkSpecializationMapEntry> entries(spec.size());
  for (uint32_t i = 0; i < spec.size(); ++i) entries[i] = {i, i * 4u, 4u};
  VkSpecializationInfo si{static_cast<uint32_t>(entries.size()), entries.data(), spec.size_bytes(),
                          spec.data()};
  VkComputePipelineCreateInfo ci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  ci.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  ci.stage.module = module(kernel);
  ci.stage.pName = "main";
  ci.stage.pSpecializationInfo = spec.empty() ? nullptr : &si;
  ci.layout = l.pipeline.get();
  const Api& api = device_.api();
  VkDevice dev = device_.get();
  VkPipeline p = VK_NULL_HANDLE;
  check(api.vkCreateComputePipelines(dev, cache_.get(), 1, &ci, nullptr, &p),
        fmt::format("building kernel {}", key));
  Entry e;
  e.p = Pipeline{p, l.pipeline.get(), l.set.get(), bindings};
  e.owner = Unique<VkPipeline>(
      p, [dev, destroy = api.vkDestroyPipeline](VkPipeline h) { destroy(dev, h, nullptr); });
  return pipelines_.emplace(std::move(key), std::move(e)).first->second.p;
}

}  // namespace tl::vk
