// Runs a callback for a key once no schedule() for that key came for `delay`: the analysis
// worker. One thread; its destructor stops and joins it (RAII), dropping what is pending.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace tl::lsp {

class Debouncer {
 public:
  using Clock = std::chrono::steady_clock;
  Debouncer(std::chrono::milliseconds delay, std::function<void(const std::string&)> run);
  ~Debouncer() = default;  // worker_ (declared last) requests stop and joins first
  Debouncer(const Debouncer&) = delete;
  Debouncer& operator=(const Debouncer&) = delete;

  void schedule(const std::string& key);
  void cancel(const std::string& key);

 private:
  void loop(std::stop_token stop);

  std::chrono::milliseconds delay_;
  std::function<void(const std::string&)> run_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::map<std::string, Clock::time_point> due_;
  uint64_t generation_ = 0;
  std::jthread worker_;
};

}  // namespace tl::lsp
