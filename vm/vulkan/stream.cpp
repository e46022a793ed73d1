#include "vm/vulkan/stream.h"

#include <cstring>

#include "vm/core/error.h"
#include "vm/vulkan/check.h"

namespace tl::vk {
namespace {
constexpr uint32_t kMaxBindings = 4;
}

Stream::Stream(const Device& device) : device_(device), api_(device.api()) {
  VkDevice dev = device.get();
  VkCommandPoolCreateInfo pci{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pci.queueFamilyIndex = device.queue_family();
  VkCommandPool pool = VK_NULL_HANDLE;
  check(api_.vkCreateCommandPool(dev, &pci, nullptr, &pool), "creating a command pool");
  pool_ = Unique<VkCommandPool>(pool, [dev, destroy = api_.vkDestroyCommandPool](VkCommandPool h) {
    destroy(dev, h, nullptr);
  });
  for (Slot& s : slots_) {
    VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    ai.commandPool = pool;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    check(api_.vkAllocateCommandBuffers(dev, &ai, &s.cmd), "allocating a command buffer");
    VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence f = VK_NULL_HANDLE;
    check(api_.vkCreateFence(dev, &fci, nullptr, &f), "creating a fence");
    s.fence = Unique<VkFence>(
        f, [dev, destroy = api_.vkDestroyFence](VkFence h) { destroy(dev, h, nullptr); });
    VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kBatchOps * kMaxBindings};
    VkDescriptorPoolCreateInfo dci{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    dci.maxSets = kBatchOps;
    dci.poolSizeCount = 1;
    dci.pPoolSizes = &size;
    VkDescriptorPool dp = VK_NULL_HANDLE;
    check(api_.vkCreateDescriptorPool(dev, &dci, nullptr, &dp), "creating a descriptor pool");
    s.descriptors =
        Unique<VkDescriptorPool>(dp, [dev, destroy = api_.vkDestroyDescriptorPool](
                                         VkDescriptorPool h) { destroy(dev, h, nullptr); });
  }
}

Stream::~Stream() {
  // Never throw from here: a lost device still lets us release everything.
  try {
    finish();
  } catch (const RuntimeError&) {
    api_.vkDeviceWaitIdle(device_.get());
  }
}

Stream::Slot& Stream::begin() {
  Slot& s = slots_[current_];
  if (s.recording) return s;
  if (s.in_flight) wait(s);
  check(api_.vkResetDescriptorPool(device_.get(), s.descriptors.get(), 0), "resetting descriptors");
  VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  check(api_.vkBeginCommandBuffer(s.cmd, &bi), "recording commands");
  s.recording = true;
  s.ops = 0;
  return s;
}

void Stream::barrier(Slot& s) {
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                     VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  const VkPipelineStageFlags stages =
      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  api_.vkCmdPipelineBarrier(s.cmd, stages, stages, 0, 1, &mb, 0, nullptr, 0, nullptr);
}

void Stream::dispatch(const Pipeline& p, std::span<const std::shared_ptr<Buffer>> buffers,
                      std::span<const std::byte> push, uint32_t gx, uint32_t gy, uint32_t gz) {
  if (buffers.size() != p.bindings || buffers.size() > kMaxBindings || push.size() > kPushBytes)
    throw RuntimeError("internal error: kernel binding/push-constant mismatch");
  if (gx == 0 || gy == 0 || gz == 0) return;
  Slot& s = begin();
  VkDescriptorSetAllocateInfo ai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  ai.descriptorPool = s.descriptors.get();
  ai.descriptorSetCount = 1;
  ai.pSetLayouts = &p.set_layout;
  VkDescriptorSet set = VK_NULL_HANDLE;
  check(api_.vkAllocateDescriptorSets(device_.get(), &ai, &set), "allocating a descriptor set");
  std::array<VkDescriptorBufferInfo, kMaxBindings> infos{};
  std::array<VkWriteDescriptorSet, kMaxBindings> writes{};
  for (size_t i = 0; i < buffers.size(); ++i) {
    const auto& b = static_cast<const DeviceBuffer&>(*buffers[i]);
    infos[i] = {b.vk_buffer(), b.offset(), std::max<VkDeviceSize>(4, (b.bytes() + 3) / 4 * 4)};
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set;
    writes[i].dstBinding = static_cast<uint32_t>(i);
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
    s.alive.push_back(buffers[i]);
  }
  api_.vkUpdateDescriptorSets(device_.get(), static_cast<uint32_t>(buffers.size()), writes.data(),
                              0, nullptr);
  barrier(s);
  api_.vkCmdBindPipeline(s.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline);
  api_.vkCmdBindDescriptorSets(s.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout, 0, 1, &set, 0,
                               nullptr);
  if (!push.empty())
    api_.vkCmdPushConstants(s.cmd, p.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                            static_cast<uint32_t>(push.size()), push.data());
  api_.vkCmdDispatch(s.cmd, gx, gy, gz);
  if (++s.ops >= kBatchOps) flush();
}

void Stream::copy(const std::shared_ptr<Buffer>& src, const std::shared_ptr<Buffer>& dst,
                  VkDeviceSize bytes, VkDeviceSize src_offset, VkDeviceSize dst_offset) {
  Slot& s = begin();
  const auto& a = static_cast<const DeviceBuffer&>(*src);
  const auto& b = static_cast<const DeviceBuffer&>(*dst);
  barrier(s);
  VkBufferCopy region{a.offset() + src_offset, b.offset() + dst_offset, bytes};
  api_.vkCmdCopyBuffer(s.cmd, a.vk_buffer(), b.vk_buffer(), 1, &region);
  s.alive.push_back(src);
  s.alive.push_back(dst);
  if (++s.ops >= kBatchOps) flush();
}

size_t Stream::references(const Buffer* b) const {
  size_t n = 0;
  for (const Slot& s : slots_)
    for (const auto& kept : s.alive) n += kept.get() == b;
  return n;
}

void Stream::flush() {
  Slot& s = slots_[current_];
  if (!s.recording) return;
  // Make device writes visible to the host (download maps the memory after the fence).
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  api_.vkCmdPipelineBarrier(s.cmd,
                            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                            VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0, nullptr);
  s.recording = false;
  check(api_.vkEndCommandBuffer(s.cmd), "recording commands");
  const VkFence fence = s.fence.get();
  check(api_.vkResetFences(device_.get(), 1, &fence), "resetting a fence");
  VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  si.commandBufferCount = 1;
  si.pCommandBuffers = &s.cmd;
  check(api_.vkQueueSubmit(device_.queue(), 1, &si, fence), "submitting GPU work");
  s.in_flight = true;
  ++submitted_;
  current_ = (current_ + 1) % kSlots;
}

void Stream::wait(Slot& s) {
  if (!s.in_flight) return;
  const VkFence fence = s.fence.get();
  check(api_.vkWaitForFences(device_.get(), 1, &fence, VK_TRUE, UINT64_MAX), "waiting for the GPU");
  s.in_flight = false;
  s.alive.clear();
}

void Stream::finish() {
  flush();
  for (size_t i = 0; i < kSlots; ++i) wait(slots_[(current_ + i) % kSlots]);
}

}  // namespace tl::vk
