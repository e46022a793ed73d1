// A fixed-size pool of worker threads owned by one CpuBackend (RAII; no global pool).
//
// parallel_for hands out task indices dynamically; the calling thread works too, so a pool of
// size 1 has no worker threads and runs everything inline. Not re-entrant: a task must not call
// parallel_for on the same pool (kernels never nest).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tl::cpu {

class ThreadPool {
 public:
  // threads <= 0: std::thread::hardware_concurrency().
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // Calls fn(i) for every i in [0, n), spread over the pool; returns when all are done.
  // The first exception thrown by a task is rethrown here.
  void parallel_for(int64_t n, const std::function<void(int64_t)>& fn);

 private:
  void worker_loop();
  void run_tasks();

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int64_t)>* job_ = nullptr;
  int64_t job_size_ = 0;
  std::atomic<int64_t> next_{0};
  int busy_ = 0;             // workers still inside the current job
  uint64_t generation_ = 0;  // bumped for every job, so workers see each one once
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace tl::cpu
