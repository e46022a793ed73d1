// Command recording and batched submission.
//
// Ops append dispatches (and buffer copies) to the current command buffer, each preceded by a
// compute/transfer memory barrier (so every op sees the results of every earlier one, also across
// batches: barrier scopes follow submission order). A batch is submitted when it holds
// kBatchOps commands; up to kSlots batches are in flight. Each batch keeps the buffers it
// touches alive until its fence signals, so dropping a tensor never frees memory the device is
// still using. The host waits only in finish() (download, synchronize) or when every slot is busy.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <vector>

#include "vm/tensor/tensor.h"
#include "vm/vulkan/device.h"
#include "vm/vulkan/memory.h"
#include "vm/vulkan/pipelines.h"

namespace tl::vk {

// One binding of a dispatch: a tensor's buffer (kept alive by the batch).
struct Binding {
  std::shared_ptr<Buffer> owner;  // a DeviceBuffer
};

class Stream {
 public:
  static constexpr uint32_t kBatchOps = 128;
  static constexpr size_t kSlots = 3;

  explicit Stream(const Device& device);
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream();

  // Dispatches `p` over groups (x, y, z); `push` is copied into the push constants.
  void dispatch(const Pipeline& p, std::span<const std::shared_ptr<Buffer>> buffers,
                std::span<const std::byte> push, uint32_t gx, uint32_t gy = 1, uint32_t gz = 1);
  // `bytes` from src (from byte src_offset on) to dst (from dst_offset on).
  void copy(const std::shared_ptr<Buffer>& src, const std::shared_ptr<Buffer>& dst,
            VkDeviceSize bytes, VkDeviceSize src_offset = 0, VkDeviceSize dst_offset = 0);
  // How many references the recorded and in-flight batches hold to `b` (they keep it alive).
  size_t references(const Buffer* b) const;
  void flush();   // submits the recorded commands, if any
  void finish();  // flush, then wait until every batch has completed
  uint64_t submitted_batches() const { return submitted_; }

 private:
  struct Slot {
    VkCommandBuffer cmd = VK_NULL_HANDLE;  // freed with the command pool
    Unique<VkFence> fence;
    Unique<VkDescriptorPool> descriptors;
    std::vector<std::shared_ptr<Buffer>> alive;
    uint32_t ops = 0;
    bool recording = false;
    bool in_flight = false;
  };
  Slot& begin();       // the recording slot, starting one if needed
  void wait(Slot& s);  // waits for s's fence and releases what it kept alive
  void barrier(Slot& s);

  const Device& device_;
  const Api& api_;  // device_.api(), called for every recorded command
  Unique<VkCommandPool> pool_;
  std::array<Slot, kSlots> slots_;
  size_t current_ = 0;
  uint64_t submitted_ = 0;
};

}  // namespace tl::vk
