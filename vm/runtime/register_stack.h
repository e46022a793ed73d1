// The VM's register stack: address space for every frame's registers, reserved up front but
// used lazily. Pages come from the OS only when a call first reaches them, and Values are
// constructed there (and destroyed at the end) only up to the deepest point ever used, so a
// program that needs a few hundred registers does not pay for touching 16 MiB at start-up.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <memory>
#include <new>

#include "vm/runtime/value.h"

namespace tl {

class RegisterStack {
 public:
  explicit RegisterStack(size_t capacity) : capacity_(capacity) {
    void* p = mmap(nullptr, capacity * sizeof(Value), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    base_ = static_cast<Value*>(p);
    constructed_end_ = base_;
  }
  ~RegisterStack() {
    std::destroy(base_, constructed_end_);
    munmap(base_, capacity_ * sizeof(Value));
  }
  RegisterStack(const RegisterStack&) = delete;
  RegisterStack& operator=(const RegisterStack&) = delete;

  Value* data() const { return base_; }
  size_t capacity() const { return capacity_; }
  // Makes [data(), end) hold constructed (none) Values; `end` must be within the capacity.
  void ensure(Value* end) {
    if (end > constructed_end_) {
      std::uninitialized_default_construct(constructed_end_, end);
      constructed_end_ = end;
    }
  }

 private:
  Value* base_ = nullptr;
  size_t capacity_;
  Value* constructed_end_ = nullptr;
};

}  // namespace tl
