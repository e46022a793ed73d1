#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "vm/cpu/thread_pool.h"

namespace tl::cpu {
namespace {

TEST(ThreadPool, RunsEveryTaskOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {0, 1, 3, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.parallel_for(n, [&](int64_t i) { hits[i].fetch_add(1); });
      for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << threads << " " << i;
    }
  }
}

TEST(ThreadPool, RethrowsTaskException) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(100,
                                 [](int64_t i) {
                                   if (i == 37) throw std::runtime_error("boom");
                                 }),
               std::runtime_error);
  int64_t sum = 0;  // still usable afterwards
  std::atomic<int64_t> acc{0};
  pool.parallel_for(10, [&](int64_t i) { acc += i; });
  sum = acc;
  EXPECT_EQ(sum, 45);
}

// Jobs back to back, as a decoded token runs them: tiny jobs (workers spinning between them), jobs
// after a pause long enough for the workers to sleep, and more threads than cores (workers the
// scheduler runs late must not take a task of a later job, nor hold up the caller).
TEST(ThreadPool, BackToBackJobsEachRunEveryTaskOnce) {
  for (int threads : {2, 3, 8}) {
    ThreadPool pool(threads);
    for (int job = 0; job < 2000; ++job) {
      const int64_t n = 1 + job % 7;
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.parallel_for(n, [&](int64_t i) { hits[i].fetch_add(1); });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << threads << " " << job;
      if (job % 500 == 499)
        std::this_thread::sleep_for(ThreadPool::kSpin * 3);  // the workers go to sleep
    }
  }
}

TEST(ThreadPool, DefaultSizeIsHardwareConcurrency) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.size(), static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

}  // namespace
}  // namespace tl::cpu
