// Model I/O benchmarks.
//   Open*: Model::open of a 10 GiB sparse file (header only: must not depend on the file size).
//   FirstAccess*: open + to_f16 of one 64 MiB tensor (page faults of the mapping included).
//   Dequant/<type>: dequantize_row throughput; bytes_per_second counts the quantized input.
// The large files are sparse (ftruncate), so they take no disk space.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "bench/common/gguf_header.h"
#include "vm/model/dequant.h"
#include "vm/model/model.h"

namespace {

namespace fs = std::filesystem;
constexpr uint64_t kBig = uint64_t{10} << 30;          // 10 GiB file
constexpr uint64_t kTensorBytes = uint64_t{64} << 20;  // 64 MiB per tensor

fs::path bench_dir() {
  static const fs::path dir = [] {
    auto d = fs::temp_directory_path() / ("tl_model_bench_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

void write_sparse(const fs::path& p, const std::string& head, uint64_t total) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ::write(fd, head.data(), head.size()) != static_cast<ssize_t>(head.size()) ||
      ::ftruncate(fd, static_cast<off_t>(total)) != 0)
    std::abort();
  ::close(fd);
}

// 160 F32 tensors of 64 MiB = 10 GiB of data.
const fs::path& big_safetensors() {
  static const fs::path p = [] {
    const auto path = bench_dir() / "big.safetensors";
    nlohmann::ordered_json h;
    h["__metadata__"] = {{"format", "pt"}};
    const uint64_t n = kBig / kTensorBytes;
    for (uint64_t i = 0; i < n; ++i)
      h["layers." + std::to_string(i) + ".weight"] = {
          {"dtype", "F32"},
          {"shape", {4096, 4096}},
          {"data_offsets", {i * kTensorBytes, (i + 1) * kTensorBytes}}};
    std::string text = h.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    std::string head(8, '\0');
    const uint64_t len = text.size();
    std::memcpy(head.data(), &len, 8);
    write_sparse(path, head + text, 8 + len + n * kTensorBytes);
    return path;
  }();
  return p;
}

// The same tensors as Q8_0 GGUF, plus a 32000-entry string array (a tokenizer vocabulary).
const fs::path& big_gguf() {
  static const fs::path p = [] {
    const auto path = bench_dir() / "big.gguf";
    const uint64_t per = uint64_t{4096} * 4096 / 32 * 34;  // Q8_0 bytes of a 4096x4096 tensor
    const uint64_t n = kBig / per;
    tl::bench::GgufHeader h(n, 2);
    h.metadata_string("general.architecture", "llama");
    h.metadata_strings("tokenizer.ggml.tokens", 32000,
                       [](uint64_t i) { return "tok" + std::to_string(i); });
    for (uint64_t i = 0; i < n; ++i)
      h.tensor("blk." + std::to_string(i) + ".weight", {4096, 4096}, 8 /* Q8_0 */, per);
    const std::string b = h.finish();
    write_sparse(path, b, b.size() + h.data_bytes());
    return path;
  }();
  return p;
}

void BM_OpenSafetensors10GiB(benchmark::State& state) {
  const auto& p = big_safetensors();
  for (auto _ : state) benchmark::DoNotOptimize(tl::Model::open(p));
  state.counters["file_GiB"] = static_cast<double>(fs::file_size(p)) / (1 << 30);
}
BENCHMARK(BM_OpenSafetensors10GiB)->Unit(benchmark::kMillisecond);

void BM_OpenGguf10GiB(benchmark::State& state) {
  const auto& p = big_gguf();
  for (auto _ : state) benchmark::DoNotOptimize(tl::Model::open(p));
  state.counters["file_GiB"] = static_cast<double>(fs::file_size(p)) / (1 << 30);
}
BENCHMARK(BM_OpenGguf10GiB)->Unit(benchmark::kMillisecond);

void first_access(benchmark::State& state, const fs::path& p) {
  uint64_t bytes = 0;
  for (auto _ : state) {
    auto m = tl::Model::open(p);  // a fresh mapping each time: the first access faults pages in
    const auto& t = m->header().tensors[m->header().tensors.size() / 2];
    auto v = m->to_f16(t);
    benchmark::DoNotOptimize(v.data());
    bytes += t.nbytes;
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
void BM_FirstAccessSafetensorsF32_64MiB(benchmark::State& s) {
  first_access(s, big_safetensors());
}
void BM_FirstAccessGgufQ8_0_4096x4096(benchmark::State& s) {
  first_access(s, big_gguf());
}
BENCHMARK(BM_FirstAccessSafetensorsF32_64MiB)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FirstAccessGgufQ8_0_4096x4096)->Unit(benchmark::kMillisecond);

// Random blocks whose f16 scale fields hold a small normal value (random bits would include
// NaN/inf and subnormals, which do not represent real models).
std::vector<std::byte> random_blocks(tl::DType t, size_t blocks) {
  const auto& di = tl::dtype_info(t);
  std::vector<std::byte> b(blocks * di.block_bytes);
  std::mt19937 rng(42);
  for (auto& x : b) x = static_cast<std::byte>(rng());
  const tl::f16_bits d = tl::f32_to_f16(0.01f);
  const float df = 0.01f;
  for (size_t i = 0; i < blocks; ++i) {
    std::byte* p = b.data() + i * di.block_bytes;
    auto put = [&](size_t at) { std::memcpy(p + at, &d, 2); };
    switch (t) {
      case tl::DType::Q4_1:
      case tl::DType::Q5_1:
      case tl::DType::Q8_1:
      case tl::DType::Q4_K:
      case tl::DType::Q5_K:
        put(0);
        put(2);
        break;
      case tl::DType::Q2_K:
        put(80);
        put(82);
        break;
      case tl::DType::Q3_K:
        put(108);
        break;
      case tl::DType::Q6_K:
        put(208);
        break;
      case tl::DType::Q8_K:
        std::memcpy(p, &df, 4);
        break;
      default:
        put(0);
        break;
    }
  }
  return b;
}

void BM_Dequant(benchmark::State& state, tl::DType t) {
  const auto& di = tl::dtype_info(t);
  const size_t elems = size_t{1} << 20;  // 1 Mi elements per call: 4 MiB of f32 output
  const auto src = random_blocks(t, elems / di.block_elems);
  std::vector<float> dst(elems);
  for (auto _ : state) {
    tl::dequantize_row(t, src.data(), dst.data(), static_cast<int64_t>(elems));
    benchmark::DoNotOptimize(dst.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * src.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * elems));
}

const int kRegistered = [] {
  for (auto t :
       {tl::DType::F16, tl::DType::BF16, tl::DType::Q4_0, tl::DType::Q4_1, tl::DType::Q5_0,
        tl::DType::Q5_1, tl::DType::Q8_0, tl::DType::Q8_1, tl::DType::Q2_K, tl::DType::Q3_K,
        tl::DType::Q4_K, tl::DType::Q5_K, tl::DType::Q6_K, tl::DType::Q8_K})
    benchmark::RegisterBenchmark(("BM_Dequant/" + std::string(tl::dtype_name(t))).c_str(),
                                 BM_Dequant, t)
        ->Unit(benchmark::kMicrosecond);
  return 0;
}();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  fs::remove_all(bench_dir(), ec);
  return 0;
}
