#include "vm/vulkan/memory.h"

#include <fmt/format.h>

#include <algorithm>

#include "vm/core/error.h"
#include "vm/vulkan/check.h"

namespace tl::vk {
namespace {

std::optional<uint32_t> find_type(const VkPhysicalDeviceMemoryProperties& mp, uint32_t bits,
                                  VkMemoryPropertyFlags want) {
  for (uint32_t i = 0; i < mp.memoryTypeCount; ++i)
    if ((bits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want) return i;
  return std::nullopt;
}

}  // namespace

MemoryPool::MemoryPool(const Device& device, bool host, VkDeviceSize block_size)
    : device_(device), block_size_(block_size) {
  const auto& limits = device.properties().limits;
  alignment_ = std::max<VkDeviceSize>(
      {256, limits.minStorageBufferOffsetAlignment, limits.nonCoherentAtomSize});
  const auto& mp = device.memory_properties();
  const uint32_t all = (1u << mp.memoryTypeCount) - 1;
  constexpr VkMemoryPropertyFlags kHost =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  std::optional<uint32_t> t;
  if (host) {
    t = find_type(mp, all, kHost | VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
    if (!t) t = find_type(mp, all, kHost);
  } else {
    // Device-local and host-visible (UMA, resizable BAR, lavapipe) lets uploads skip staging.
    t = find_type(mp, all, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | kHost);
    if (!t) t = find_type(mp, all, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    if (!t) t = find_type(mp, all, 0);
  }
  if (!t) throw RuntimeError("Vulkan device has no suitable memory type");
  type_index_ = *t;
  host_visible_ = (mp.memoryTypes[*t].propertyFlags & kHost) == kHost;
  block_size_ =
      std::min<VkDeviceSize>(block_size_, device.properties().limits.maxStorageBufferRange);
}

void MemoryPool::add_block(VkDeviceSize size) {
  const Api& api = device_.api();
  VkDevice dev = device_.get();
  Block b;
  b.size = size;
  VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bci.size = size;
  bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
              VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer buf = VK_NULL_HANDLE;
  check(api.vkCreateBuffer(dev, &bci, nullptr, &buf), "creating a device buffer");
  b.buffer = Unique<VkBuffer>(
      buf, [dev, destroy = api.vkDestroyBuffer](VkBuffer h) { destroy(dev, h, nullptr); });
  VkMemoryRequirements req;
  api.vkGetBufferMemoryRequirements(dev, buf, &req);
  if (!(req.memoryTypeBits & (1u << type_index_)))
    throw RuntimeError("Vulkan buffer cannot live in the chosen memory type");
  VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  ai.allocationSize = req.size;
  ai.memoryTypeIndex = type_index_;
  VkDeviceMemory mem = VK_NULL_HANDLE;
  check(api.vkAllocateMemory(dev, &ai, nullptr, &mem),
        fmt::format("allocating a {} MiB memory block", req.size >> 20));
  b.memory = Unique<VkDeviceMemory>(
      mem, [dev, destroy = api.vkFreeMemory](VkDeviceMemory h) { destroy(dev, h, nullptr); });
  check(api.vkBindBufferMemory(dev, buf, mem, 0), "binding buffer memory");
  if (host_visible_) {
    void* p = nullptr;
    check(api.vkMapMemory(dev, mem, 0, VK_WHOLE_SIZE, 0, &p), "mapping device memory");
    b.map = static_cast<std::byte*>(p);  // unmapped implicitly by vkFreeMemory
  }
  b.free.emplace(0, size);
  blocks_.push_back(std::move(b));
}

Allocation MemoryPool::allocate(VkDeviceSize size) {
  const VkDeviceSize need =
      std::max<VkDeviceSize>(alignment_, (size + alignment_ - 1) / alignment_ * alignment_);
  const VkDeviceSize max_range = device_.properties().limits.maxStorageBufferRange;
  if (need > max_range)
    throw RuntimeError(fmt::format(
        "tensor of {} bytes exceeds this Vulkan device's largest storage buffer ({} bytes)", size,
        max_range));
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (uint32_t bi = 0; bi < blocks_.size(); ++bi) {
      auto& fl = blocks_[bi].free;
      for (auto it = fl.begin(); it != fl.end(); ++it) {
        if (it->second < need) continue;
        const VkDeviceSize off = it->first, left = it->second - need;
        fl.erase(it);
        if (left) fl.emplace(off + need, left);
        in_use_ += need;
        return Allocation{bi, off, need};
      }
    }
    add_block(std::max(block_size_, need));
  }
  throw RuntimeError("Vulkan memory pool: allocation failed");  // unreachable
}

void MemoryPool::free(const Allocation& a) {
  auto& fl = blocks_[a.block].free;
  in_use_ -= a.size;
  auto it = fl.emplace(a.offset, a.size).first;
  // Coalesce with the following and the preceding free range.
  auto next = std::next(it);
  if (next != fl.end() && it->first + it->second == next->first) {
    it->second += next->second;
    fl.erase(next);
  }
  if (it != fl.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second == it->first) {
      prev->second += it->second;
      fl.erase(it);
    }
  }
}

std::byte* MemoryPool::mapped(const Allocation& a) const {
  std::byte* base = blocks_[a.block].map;
  return base ? base + a.offset : nullptr;
}

}  // namespace tl::vk
