#include "lsp/debouncer.h"

#include <algorithm>

namespace tl::lsp {

Debouncer::Debouncer(std::chrono::milliseconds delay, std::function<void(const std::string&)> run)
    : delay_(delay), run_(std::move(run)), worker_([this](std::stop_token st) { loop(st); }) {}

void Debouncer::schedule(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    due_[key] = Clock::now() + delay_;
    ++generation_;
  }
  cv_.notify_one();
}

void Debouncer::cancel(const std::string& key) {
  std::lock_guard lock(mu_);
  due_.erase(key);
  ++generation_;
}

void Debouncer::loop(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    if (due_.empty()) {
      cv_.wait(lock, stop, [&] { return !due_.empty(); });
      continue;
    }
    auto first = std::min_element(due_.begin(), due_.end(),
                                  [](auto& a, auto& b) { return a.second < b.second; });
    if (first->second <= Clock::now()) {
      std::string key = first->first;
      due_.erase(first);
      lock.unlock();
      run_(key);
      lock.lock();
      continue;
    }
    // A copy: the wait reads the deadline while mu_ is released, when schedule() / cancel() may
    // rewrite or erase the map entry.
    const Clock::time_point deadline = first->second;
    const uint64_t seen = generation_;
    cv_.wait_until(lock, stop, deadline, [&] { return generation_ != seen; });
  }
}

}  // namespace tl::lsp
