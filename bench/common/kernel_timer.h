// The one timing loop of bench/ggml's two sides, so that TL's CPU backend (bench/ggml/tl_side.cpp)
// and ggml's (bench/ggml/ggml_driver.cpp, compiled by bench/ggml/compare.py against
// node-llama-cpp's prebuilt libraries) are timed the same way: the same work description, the
// same number of weight copies, the same warm-up, the same loop, the same JSON line.
// C++17, and of TL only the header-only dtype table (the ggml side is built outside CMake, with
// the llama.cpp headers and the repository's root on the include path).
#pragma once

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "vm/core/dtype.h"

namespace kernel_bench {

// One run: weights [m, k] of `type` (f16, q8_0, q4_0, q4_k or q6_k) times n activation rows (n = 1:
// a matrix-vector product), on `threads` threads, calls timed for at least `seconds`.
struct Work {
  std::string type;  // as given (lower case)
  tl::DType dtype = tl::DType::F16;
  int64_t m = 0, n = 0, k = 0;
  int threads = 0;
  double seconds = 0;
};

// Reads TYPE M N K THREADS SECONDS from argv[first...]; false when they are not all there.
inline bool parse(int argc, char** argv, int first, Work& w) {
  if (argc != first + 6) return false;
  w.type = argv[first];
  w.m = std::atoll(argv[first + 1]);
  w.n = std::atoll(argv[first + 2]);
  w.k = std::atoll(argv[first + 3]);
  w.threads = std::atoi(argv[first + 4]);
  w.seconds = std::atof(argv[first + 5]);
  // The types both sides run, as the dtype table spells them (the command line in lower case).
  std::string upper = w.type;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  const std::optional<tl::DType> dtype = tl::dtype_from_name(upper);
  const bool known = dtype && (*dtype == tl::DType::F16 || *dtype == tl::DType::Q8_0 ||
                               *dtype == tl::DType::Q4_0 || *dtype == tl::DType::Q4_K ||
                               *dtype == tl::DType::Q6_K);
  if (known) w.dtype = *dtype;
  return known && w.m > 0 && w.n > 0 && w.k > 0 &&
         tl::dtype_bytes(w.dtype, static_cast<uint64_t>(w.k)).has_value() && w.threads > 0 &&
         w.seconds > 0;
}

// Bytes of the [m, k] weight, from the dtype table (k is a whole number of blocks: parse).
inline int64_t weight_bytes(const Work& w) {
  return w.m * static_cast<int64_t>(*tl::dtype_bytes(w.dtype, static_cast<uint64_t>(w.k)));
}

// The last-level cache as glibc reports it (0 when it does not).
inline int64_t llc_bytes() {
  const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
  return l3 > 0 ? l3 : std::max<long>(0, sysconf(_SC_LEVEL2_CACHE_SIZE));
}

// How many copies of a weight of `bytes` to use in turn so that each product streams its weights
// from memory, not from a cache: together at least 1 GiB and twice the last-level cache.
inline int64_t dram_copies(int64_t bytes) {
  const int64_t total = std::max<int64_t>(int64_t{1} << 30, 2 * llc_bytes());
  return std::max<int64_t>(2, (total + bytes - 1) / bytes);
}

// A product (n > 1) reuses one weight: its arithmetic is what is timed. A matrix-vector product
// rotates through dram_copies().
inline int64_t copies(const Work& w) {
  return w.n == 1 ? dram_copies(weight_bytes(w)) : 1;
}

inline double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Calls call(c) with c the copy to use, in turn. First a warm-up: every copy once, and at least
// two calls (ggml's first compute sizes its work buffer; TL repacks a Q8_0/Q4_0/Q4_K weight at its
// first product, ggml when the weight is uploaded). Then each call is timed alone until `seconds`
// have passed and at least 5 calls were made. Prints one JSON line: the median, minimum and mean
// call, and the process's CPU time over the timed loop divided by its wall time (about the
// thread count when the machine is quiet; both sides' threads spin between calls). `extra` is
// appended to the object (",\"key\":value...").
template <class Call>
void time_and_print(const char* side, const Work& w, int64_t n_copies, Call&& call,
                    const std::string& extra = {}) {
  using clock = std::chrono::steady_clock;
  for (int64_t i = 0; i < std::max<int64_t>(2, n_copies); ++i) call(i % n_copies);
  std::vector<double> ms;
  const double cpu0 = process_cpu_seconds();
  const auto start = clock::now();
  double elapsed = 0;
  for (int64_t i = 0; elapsed < w.seconds || ms.size() < 5; ++i) {
    const auto t0 = clock::now();
    call(i % n_copies);
    const auto t1 = clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    elapsed = std::chrono::duration<double>(t1 - start).count();
  }
  const double cpu = process_cpu_seconds() - cpu0;
  double sum = 0;
  for (double t : ms) sum += t;
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  const size_t h = sorted.size() / 2;
  const double median = sorted.size() % 2 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
  std::printf(
      "{\"side\":\"%s\",\"type\":\"%s\",\"m\":%lld,\"n\":%lld,\"k\":%lld,\"threads\":%d,"
      "\"copies\":%lld,\"weight_bytes\":%lld,\"calls\":%zu,\"median_ms\":%.4f,\"min_ms\":%.4f,"
      "\"mean_ms\":%.4f,\"cpu_per_wall\":%.3f,\"llc_bytes\":%lld%s}\n",
      side, w.type.c_str(), static_cast<long long>(w.m), static_cast<long long>(w.n),
      static_cast<long long>(w.k), w.threads, static_cast<long long>(n_copies),
      static_cast<long long>(weight_bytes(w)), ms.size(), median, sorted.front(),
      sum / static_cast<double>(ms.size()), cpu / elapsed, static_cast<long long>(llc_bytes()),
      extra.c_str());
  std::fflush(stdout);
}

}  // namespace kernel_bench
