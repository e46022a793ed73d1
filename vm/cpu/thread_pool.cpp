#include "vm/cpu/thread_pool.h"

#include <sched.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tl::cpu {

namespace {
constexpr uint64_t kLow = 0xffffffffu;

inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

// Spins until ready() or kSpin has passed (yielding the core after kSpinPause); true when
// ready() held.
template <class Ready>
bool spin_until(Ready ready) {
  const auto start = std::chrono::steady_clock::now();
  for (unsigned i = 1;; ++i) {
    if (ready()) return true;
    if (i % 64 != 0) {
      cpu_relax();
      continue;
    }
    const auto spent = std::chrono::steady_clock::now() - start;
    if (spent >= ThreadPool::kSpin) return ready();
    if (spent >= ThreadPool::kSpinPause) sched_yield();
  }
}

uint32_t generation_of(uint64_t tagged) {
  return static_cast<uint32_t>(tagged >> 32);
}
}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

bool ThreadPool::claim(uint32_t gen, int64_t& task) {
  const uint64_t size = size_.load(std::memory_order_acquire);
  if (generation_of(size) != gen) return false;
  uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if (generation_of(s) != gen || (s & kLow) >= (size & kLow)) return false;
    if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
      task = static_cast<int64_t>(s & kLow);
      return true;
    }
  }
}

// Claims every task left and counts them as done.
void ThreadPool::cancel(uint32_t gen) {
  const uint64_t n = size_.load(std::memory_order_acquire) & kLow;
  uint64_t s = state_.load(std::memory_order_acquire);
  while (generation_of(s) == gen && (s & kLow) < n)
    if (state_.compare_exchange_weak(s, (uint64_t{gen} << 32) | n, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
      done_.fetch_add(static_cast<int64_t>(n - (s & kLow)), std::memory_order_release);
      return;
    }
}

void ThreadPool::run_tasks(uint32_t gen) {
  int64_t i = 0;
  while (claim(gen, i)) {
    try {
      (*job_.load(std::memory_order_relaxed))(i);
    } catch (...) {
      {
        std::lock_guard lock(mu_);
        if (!error_) error_ = std::current_exception();
      }
      cancel(gen);
    }
    if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 ==
        static_cast<int64_t>(size_.load(std::memory_order_relaxed) & kLow)) {
      std::lock_guard lock(mu_);  // pairs with the caller's check under the lock
      done_cv_.notify_one();
    }
  }
}

void ThreadPool::worker_loop() {
  uint32_t seen = 0;
  for (;;) {
    auto ready = [&] {
      return stop_.load(std::memory_order_acquire) ||
             generation_of(state_.load(std::memory_order_acquire)) != seen;
    };
    if (!spin_until(ready)) {
      // state_ gets a new generation under mu_, so checking it under the lock misses no wake-up.
      std::unique_lock lock(mu_);
      wake_.wait(lock, ready);
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = generation_of(state_.load(std::memory_order_acquire));
    run_tasks(seen);
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t)>& fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  if (static_cast<uint64_t>(n) >= kLow) {  // more tasks than a claim can count: run in parts
    for (int64_t base = 0; base < n; base += int64_t{1} << 30) {
      const int64_t part = std::min<int64_t>(int64_t{1} << 30, n - base);
      parallel_for(part, [&](int64_t i) { fn(base + i); });
    }
    return;
  }
  const uint32_t gen = ++generation_;
  {
    std::lock_guard lock(mu_);
    error_ = nullptr;
    job_.store(&fn, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    size_.store((uint64_t{gen} << 32) | static_cast<uint64_t>(n), std::memory_order_release);
    state_.store(uint64_t{gen} << 32, std::memory_order_release);
  }
  wake_.notify_all();  // no system call when every worker is spinning
  run_tasks(gen);
  auto finished = [&] { return done_.load(std::memory_order_acquire) == n; };
  if (!spin_until(finished)) {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, finished);
  }
  std::exception_ptr error;
  {
    std::lock_guard lock(mu_);
    error = error_;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace tl::cpu
