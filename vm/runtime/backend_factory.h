// Chooses the tensor backend for --device. New backends plug in here and nowhere else.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "vm/tensor/backend.h"

namespace tl {

// The device cannot be used in this build or on this machine (the tools exit 2 with it).
class BackendUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "cpu", "vulkan" or "auto" (Vulkan on a real GPU, else the CPU backend: on CPU-only machines the
// CPU backend beats Vulkan on lavapipe). "auto" decides at the first tensor operation, so a
// program without one never probes Vulkan (start-up stays a few milliseconds). "cpu" returns null
// when this build has no CPU backend (tensor opcodes then report it); throws BackendUnavailable for
// an unusable device and std::invalid_argument for an unknown name.
std::unique_ptr<Backend> make_backend(std::string_view device);

// What `tl version --verbose` prints about the CPU backend: the CPU model, the instruction-set
// flags cpuid reports, and the kernels chosen from them (empty without a CPU backend).
std::string describe_cpu_kernels();

}  // namespace tl
