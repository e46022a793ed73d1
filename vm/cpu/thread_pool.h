// A fixed-size pool of worker threads owned by one CpuBackend (RAII; no global pool).
//
// parallel_for hands out task indices dynamically; the calling thread works too, so a pool of
// size 1 has no worker threads and runs everything inline. Not re-entrant: a task must not call
// parallel_for on the same pool (kernels never nest).
//
// The pool stays hot between jobs: a worker that finishes spins for a while (kSpin) watching for
// the next job before it sleeps on a condition variable, and the caller spins for the workers to
// finish before it sleeps. A decoded token runs a few hundred short jobs back to back; waking a
// sleeping thread for each costs system calls and scheduler round trips, which on a VM cost more
// than many of the jobs themselves (llama.cpp's threads spin the same way).
#pragma once

#include <atomic>
#include <chrono>
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
  // How long an idle worker, or a caller waiting for its workers, spins before it sleeps; past
  // kSpinPause it yields the core between checks, so a busy machine loses little to the spin.
  static constexpr std::chrono::microseconds kSpinPause{50}, kSpin{500};

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
  // A job's tasks are claimed through state_ = generation << 32 | next index, so a worker that
  // wakes late, after its job ended, claims nothing of the next one by mistake; the caller waits
  // for done_ to reach the job's size, not for every worker to check in (a worker the scheduler
  // has not run yet costs nothing).
  bool claim(uint32_t gen, int64_t& task);
  void cancel(uint32_t gen);
  void run_tasks(uint32_t gen);
  void worker_loop();

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_cv_;
  std::atomic<const std::function<void(int64_t)>*> job_{nullptr};
  std::atomic<uint64_t> size_{0};   // generation << 32 | the job's number of tasks
  std::atomic<uint64_t> state_{0};  // generation << 32 | the next unclaimed task
  std::atomic<int64_t> done_{0};    // tasks of the current job finished (or cancelled)
  std::atomic<bool> stop_{false};
  uint32_t generation_ = 0;  // the caller's
  std::exception_ptr error_;
};

}  // namespace tl::cpu
