// Device memory: large VkDeviceMemory blocks, each bound to one VkBuffer, sub-allocated with a
// first-fit free list that coalesces neighbours. A tensor's storage is (block buffer, offset,
// size); kernels bind it with a descriptor range, so allocating a tensor costs no Vulkan call.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <vector>

#include "vm/tensor/tensor.h"
#include "vm/vulkan/device.h"

namespace tl::vk {

struct Allocation {
  uint32_t block = 0;
  VkDeviceSize offset = 0;
  VkDeviceSize size = 0;
};

class MemoryPool {
 public:
  // `host` true: host-visible, coherent memory (staging); false: device-local preferred.
  MemoryPool(const Device& device, bool host, VkDeviceSize block_size);
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;

  Allocation allocate(VkDeviceSize size);  // throws RuntimeError when the device is out of memory
  void free(const Allocation& a);
  VkBuffer buffer(const Allocation& a) const { return blocks_[a.block].buffer.get(); }
  // Host pointer to the allocation, or nullptr when the memory is not host-visible.
  std::byte* mapped(const Allocation& a) const;
  bool host_visible() const { return host_visible_; }
  VkDeviceSize bytes_in_use() const { return in_use_; }

 private:
  struct Block {
    Unique<VkDeviceMemory> memory;
    Unique<VkBuffer> buffer;
    VkDeviceSize size = 0;
    std::byte* map = nullptr;
    std::map<VkDeviceSize, VkDeviceSize> free;  // offset -> size, non-adjacent ranges
  };
  void add_block(VkDeviceSize size);

  const Device& device_;
  uint32_t type_index_ = 0;
  bool host_visible_ = false;
  VkDeviceSize block_size_;
  VkDeviceSize alignment_;
  VkDeviceSize in_use_ = 0;
  std::vector<Block> blocks_;
};

// A tensor's storage. Freed back to its pool when the last Tensor (or in-flight batch) drops it.
class DeviceBuffer final : public Buffer {
 public:
  DeviceBuffer(MemoryPool& pool, VkDeviceSize bytes)
      : pool_(pool), alloc_(pool.allocate(bytes)), bytes_(bytes) {}
  ~DeviceBuffer() override { pool_.free(alloc_); }
  VkBuffer vk_buffer() const { return pool_.buffer(alloc_); }
  VkDeviceSize offset() const { return alloc_.offset; }
  VkDeviceSize bytes() const { return bytes_; }
  std::byte* mapped() const { return pool_.mapped(alloc_); }

 private:
  MemoryPool& pool_;
  Allocation alloc_;
  VkDeviceSize bytes_;
};

}  // namespace tl::vk
