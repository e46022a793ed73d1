// ggml's side of bench/ggml: one ggml_mul_mat on ggml's CPU backend from node-llama-cpp 3.21.1's
// prebuilt libraries, which pick their CPU variant at run time (ggml_backend_load_all_from_path).
// bench/ggml/compare.py compiles this file against the headers of the llama.cpp source the package
// ships and links it to the package's libggml and libggml-base (bench/common/llama_cpp.py).
//
// The graph is llama.cpp's own: a weight [K, M] (ggml's order: K values a row, M rows) of type
// f16, q8_0, q4_0, q4_k or q6_k, filled with random values quantized by ggml_quantize_chunk, times
// f32 activations [K, N]. The weight lives where llama.cpp would put it: in the first of the CPU
// device's extra buffer types that supports the product (CPU_REPACK for Q4_0 on AVX2 and up,
// which repacks the weight when it is uploaded), else the CPU buffer. The backend runs THREADS
// threads in a persistent thread pool, as llama-bench attaches one. Each call is one
// ggml_backend_graph_compute, timed by the loop TL's side uses (bench/common/kernel_timer.h);
// a matrix-vector product (N = 1) rotates through copies of the weight, one graph each.
//
// usage: ggml_driver BACKEND_DIR TYPE M N K THREADS SECONDS
// Prints a JSON line describing the backend ({"ggml":...}), then one timing line.
#include <link.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench/common/kernel_timer.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "ggml.h"

namespace {

constexpr size_t kGraphSize = 4;  // nodes a graph holds: the product and its two operands

int fail(const char* what) {
  std::fprintf(stderr, "ggml_driver: %s\n", what);
  return 1;
}

// The file name of the CPU variant ggml_backend_load_all_from_path loaded (libggml-cpu-*.so).
std::string loaded_cpu_variant() {
  std::string found;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        const char* name = info->dlpi_name ? std::strrchr(info->dlpi_name, '/') : nullptr;
        if (name && std::strncmp(name + 1, "libggml-cpu", 11) == 0)
          *static_cast<std::string*>(out) = name + 1;
        return 0;
      },
      &found);
  return found.empty() ? "?" : found;
}

// JSON string contents: the backend's strings are plain ASCII, but quote what needs it.
std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out;
}

template <class F>
F proc(ggml_backend_reg_t reg, const char* name) {
  return reinterpret_cast<F>(ggml_backend_reg_get_proc_address(reg, name));
}

// llama.cpp's choice of a weight's buffer type (weight_buft_supported): the first extra buffer
// type of the device whose buffers the device accepts for `op`, probed with an empty buffer.
ggml_backend_buffer_type_t weight_buffer_type(ggml_backend_dev_t dev, ggml_backend_reg_t reg,
                                              ggml_tensor* weight, ggml_tensor* op) {
  auto extra = proc<ggml_backend_dev_get_extra_bufts_t>(reg, "ggml_backend_dev_get_extra_bufts");
  for (ggml_backend_buffer_type_t* b = extra ? extra(dev) : nullptr; b && *b; ++b) {
    ggml_backend_buffer_t probe = ggml_backend_buft_alloc_buffer(*b, 0);
    weight->buffer = probe;
    const bool ok = ggml_backend_dev_supports_op(dev, op);
    weight->buffer = nullptr;
    ggml_backend_buffer_free(probe);
    if (ok) return *b;
  }
  return ggml_backend_dev_buffer_type(dev);
}

}  // namespace

int main(int argc, char** argv) {
  kernel_bench::Work w;
  if (!kernel_bench::parse(argc, argv, 2, w))
    return fail("usage: ggml_driver BACKEND_DIR f16|q8_0|q4_0|q4_k|q6_k M N K THREADS SECONDS");
  ggml_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
  ggml_backend_load_all_from_path(argv[1]);
  ggml_backend_dev_t dev = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
  if (dev == nullptr) return fail("no CPU backend in BACKEND_DIR");
  ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
  ggml_backend_t backend = ggml_backend_dev_init(dev, nullptr);
  if (backend == nullptr) return fail("cannot start the CPU backend");

  auto set_threads = proc<ggml_backend_set_n_threads_t>(reg, "ggml_backend_set_n_threads");
  auto pool_new = proc<decltype(&ggml_threadpool_new)>(reg, "ggml_threadpool_new");
  auto pool_free = proc<decltype(&ggml_threadpool_free)>(reg, "ggml_threadpool_free");
  auto set_pool =
      proc<decltype(&ggml_backend_cpu_set_threadpool)>(reg, "ggml_backend_cpu_set_threadpool");
  if (!set_threads || !pool_new || !pool_free || !set_pool)
    return fail("the CPU backend lacks a thread-pool entry point");
  set_threads(backend, w.threads);
  ggml_threadpool_params pool_params = ggml_threadpool_params_default(w.threads);
  ggml_threadpool_t pool = pool_new(&pool_params);
  set_pool(backend, pool);

  std::string features;
  if (auto get = proc<ggml_backend_get_features_t>(reg, "ggml_backend_get_features"))
    for (const ggml_backend_feature* f = get(reg); f && f->name; ++f)
      features += std::string(features.empty() ? "" : " ") + f->name + "=" + f->value;

  // The dtype table holds ggml's id of every type (dtype.def's third column).
  const auto type = static_cast<ggml_type>(tl::dtype_info(w.dtype).ggml_type);
  const int64_t copies = kernel_bench::copies(w);
  const size_t meta = ggml_tensor_overhead() * static_cast<size_t>(2 * copies + 2) +
                      ggml_graph_overhead_custom(kGraphSize, false) * static_cast<size_t>(copies);
  ggml_context* weights_ctx = ggml_init({meta, nullptr, true});
  ggml_context* ctx = ggml_init({meta, nullptr, true});
  ggml_tensor* x = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, w.k, w.n);
  std::vector<ggml_tensor*> weights;
  std::vector<ggml_cgraph*> graphs;
  std::vector<ggml_tensor*> products;
  for (int64_t c = 0; c < copies; ++c) {
    weights.push_back(ggml_new_tensor_2d(weights_ctx, type, w.k, w.m));
    products.push_back(ggml_mul_mat(ctx, weights.back(), x));
    graphs.push_back(ggml_new_graph_custom(ctx, kGraphSize, false));
    ggml_build_forward_expand(graphs.back(), products.back());
  }
  ggml_backend_buffer_type_t buft = weight_buffer_type(dev, reg, weights[0], products[0]);
  ggml_backend_buffer_t weights_buffer =
      ggml_backend_alloc_ctx_tensors_from_buft(weights_ctx, buft);
  ggml_backend_buffer_t buffer = ggml_backend_alloc_ctx_tensors(ctx, backend);
  if (weights_buffer == nullptr || buffer == nullptr) return fail("cannot allocate the tensors");
  ggml_backend_buffer_set_usage(weights_buffer, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);

  // Random values in [-1, 1], the weights quantized by ggml itself; every copy the same bytes.
  std::mt19937_64 g(2);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> values(static_cast<size_t>(w.m * w.k));
  for (float& v : values) v = u(g);
  std::vector<char> bytes(ggml_row_size(type, w.k) * static_cast<size_t>(w.m));
  ggml_quantize_chunk(type, values.data(), bytes.data(), 0, w.m, w.k, nullptr);
  for (ggml_tensor* t : weights) ggml_backend_tensor_set(t, bytes.data(), 0, bytes.size());
  values.resize(static_cast<size_t>(w.n * w.k));
  for (float& v : values) v = u(g);
  ggml_backend_tensor_set(x, values.data(), 0, values.size() * sizeof(float));

  std::printf("{\"ggml\":{\"variant\":\"%s\",\"description\":\"%s\",\"features\":\"%s\"}}\n",
              escaped(loaded_cpu_variant()).c_str(),
              escaped(ggml_backend_dev_description(dev)).c_str(), escaped(features).c_str());
  bool failed = false;
  kernel_bench::time_and_print(
      "ggml", w, copies,
      [&](int64_t c) {
        failed |= ggml_backend_graph_compute(backend, graphs[c]) != GGML_STATUS_SUCCESS;
      },
      std::string(",\"weight_buffer\":\"") + escaped(ggml_backend_buft_name(buft)) + "\"");
  if (failed) return fail("ggml_backend_graph_compute failed");

  ggml_backend_buffer_free(buffer);
  ggml_backend_buffer_free(weights_buffer);
  ggml_free(ctx);
  ggml_free(weights_ctx);
  ggml_backend_free(backend);
  pool_free(pool);
  return 0;
}
