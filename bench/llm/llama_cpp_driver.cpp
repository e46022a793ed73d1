// llama.cpp's side of bench/llm: node-llama-cpp 3.21.1's prebuilt libllama (the bench compiles
// this file against the headers of the llama.cpp source the package ships, commit 80fb11ac, and
// links it to the package's prebuilt shared libraries). The prebuilt picks its CPU variant at run
// time (ggml_backend_load_all_from_path). This is llama.cpp's own examples/simple loop: one
// llama_decode of the whole prompt, then one llama_decode per generated token, greedy, on 2
// threads, CPU only (unless N_GPU_LAYERS is given: below). Before it, the warm-up of llama.cpp's
// tools (common_init_from_params, as in llama-cli and llama-server): one llama_decode of
// [BOS, EOS], then the cache cleared. It calls the C API directly so that no JavaScript sits in
// the token loop.
//
// With a fifth argument N_GPU_LAYERS (the bench's --device vulkan, where the same file is compiled
// against a Vulkan build of the same llama.cpp source), that many layers go to the GPU device the
// backend directory provides (99: all of them, and the output layer); the rest is unchanged.
//
// Prints one JSON line per event on stdout, flushed, so the bench timestamps them the same way it
// timestamps `tl run`'s output:
//   {"event":"loaded","ms":...}  {"event":"prompt","tokens":N}
//   {"event":"token","i":k,"id":ID}  (one per generated token)
//   {"event":"done","prefill_ms":...,"decode_ms":...,"generated":n,"system":"..."}
// With N = 0 it only counts the prompt's tokens and names the GPU devices the backends found:
//   {"event":"prompt","tokens":N,"gpus":"name: description; ..."}
// usage: llama_cpp_driver BACKEND_DIR MODEL.gguf PROMPT N [N_GPU_LAYERS]
#include "ggml-backend.h"
#include "llama.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

int fail(const char* what) {
  std::fprintf(stderr, "llama_cpp_driver: %s\n", what);
  return 1;
}

// The GPU devices the loaded backends offer, "name: description; ...".
std::string gpu_devices() {
  std::string out;
  for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    ggml_backend_dev_t dev = ggml_backend_dev_get(i);
    if (ggml_backend_dev_type(dev) != GGML_BACKEND_DEVICE_TYPE_GPU) continue;
    if (!out.empty()) out += "; ";
    out += std::string(ggml_backend_dev_name(dev)) + ": " + ggml_backend_dev_description(dev);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6)
    return fail("usage: llama_cpp_driver BACKEND_DIR MODEL.gguf PROMPT N [N_GPU_LAYERS]");
  const auto t0 = std::chrono::steady_clock::now();
  const std::string prompt = argv[3];
  const int n_predict = std::atoi(argv[4]);
  const int n_gpu_layers = argc == 6 ? std::atoi(argv[5]) : 0;
  if (n_predict < 0) return fail("N must not be negative");

  ggml_backend_load_all_from_path(argv[1]);
  if (n_gpu_layers > 0 && gpu_devices().empty()) return fail("no GPU device to offload layers to");
  llama_model_params model_params = llama_model_default_params();
  model_params.n_gpu_layers = n_gpu_layers;
  llama_model* model = llama_model_load_from_file(argv[2], model_params);
  if (model == nullptr) return fail("cannot load the model");
  const llama_vocab* vocab = llama_model_get_vocab(model);

  const int n_prompt = -llama_tokenize(vocab, prompt.c_str(), static_cast<int32_t>(prompt.size()),
                                       nullptr, 0, true, true);
  std::vector<llama_token> tokens(n_prompt);
  if (llama_tokenize(vocab, prompt.c_str(), static_cast<int32_t>(prompt.size()), tokens.data(),
                     n_prompt, true, true) < 0)
    return fail("cannot tokenize the prompt");
  if (n_predict == 0) {
    std::printf("{\"event\":\"prompt\",\"tokens\":%d,\"gpus\":\"%s\"}\n", n_prompt,
                gpu_devices().c_str());
    llama_model_free(model);
    return 0;
  }

  llama_context_params ctx_params = llama_context_default_params();
  ctx_params.n_ctx = static_cast<uint32_t>(n_prompt + n_predict);
  ctx_params.n_batch = static_cast<uint32_t>(n_prompt);
  ctx_params.n_threads = 2;
  ctx_params.n_threads_batch = 2;
  llama_context* ctx = llama_init_from_model(model, ctx_params);
  if (ctx == nullptr) return fail("cannot create the context");
  std::vector<llama_token> warm;
  if (llama_vocab_bos(vocab) != LLAMA_TOKEN_NULL) warm.push_back(llama_vocab_bos(vocab));
  if (llama_vocab_eos(vocab) != LLAMA_TOKEN_NULL) warm.push_back(llama_vocab_eos(vocab));
  if (warm.empty()) warm.push_back(0);
  if (llama_decode(ctx, llama_batch_get_one(warm.data(), static_cast<int32_t>(warm.size()))) != 0)
    return fail("the warm-up llama_decode failed");
  llama_memory_clear(llama_get_memory(ctx), true);
  llama_sampler* sampler = llama_sampler_chain_init(llama_sampler_chain_default_params());
  llama_sampler_chain_add(sampler, llama_sampler_init_greedy());
  std::printf("{\"event\":\"loaded\",\"ms\":%.3f}\n{\"event\":\"prompt\",\"tokens\":%d}\n",
              ms_since(t0), n_prompt);
  std::fflush(stdout);

  const auto t_prefill = std::chrono::steady_clock::now();
  double prefill_ms = 0;
  llama_batch batch = llama_batch_get_one(tokens.data(), n_prompt);
  llama_token next = 0;
  auto t_first = t_prefill;
  for (int i = 0; i < n_predict; ++i) {
    // Greedy to the end: a random-weight model may pick an end-of-generation token early, and
    // both sides must generate the same number of tokens.
    if (llama_decode(ctx, batch) != 0) return fail("llama_decode failed");
    next = llama_sampler_sample(sampler, ctx, -1);
    if (i == 0) {
      t_first = std::chrono::steady_clock::now();
      prefill_ms = ms_since(t_prefill);
    }
    std::printf("{\"event\":\"token\",\"i\":%d,\"id\":%d}\n", i, next);
    std::fflush(stdout);
    batch = llama_batch_get_one(&next, 1);
  }
  std::printf(
      "{\"event\":\"done\",\"prefill_ms\":%.3f,\"decode_ms\":%.3f,\"generated\":%d,"
      "\"system\":\"%s\"}\n",
      prefill_ms, ms_since(t_first), n_predict, llama_print_system_info());
  std::fflush(stdout);
  llama_sampler_free(sampler);
  llama_free(ctx);
  llama_model_free(model);
  return 0;
}
