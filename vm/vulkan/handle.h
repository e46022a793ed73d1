// Move-only owner of one Vulkan object: every handle the backend creates lives in one of these,
// so nothing leaks when a constructor throws half-way and the validation layer sees no leftovers.
#pragma once

#include <functional>
#include <utility>

namespace tl::vk {

template <class T>
class Unique {
 public:
  Unique() = default;
  Unique(T handle, std::function<void(T)> destroy) : h_(handle), destroy_(std::move(destroy)) {}
  Unique(Unique&& o) noexcept : h_(std::exchange(o.h_, T{})), destroy_(std::move(o.destroy_)) {}
  Unique& operator=(Unique&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, T{});
      destroy_ = std::move(o.destroy_);
    }
    return *this;
  }
  Unique(const Unique&) = delete;
  Unique& operator=(const Unique&) = delete;
  ~Unique() { reset(); }

  T get() const { return h_; }
  explicit operator bool() const { return h_ != T{}; }
  void reset() {
    if (h_ != T{} && destroy_) destroy_(h_);
    h_ = T{};
  }

 private:
  T h_{};
  std::function<void(T)> destroy_;
};

}  // namespace tl::vk
