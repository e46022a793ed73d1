// The CPU implementation of tl::Backend: f16 storage, f32 arithmetic, one rounding per result.
//
// Every op has a reference implementation (plain loops over half.h conversions, the spec the
// tests check against float64) and, where it matters, a fast one (vectorised conversion,
// blocked/packed AVX-512 matmul, streaming matvec, fused Q8_0/Q4_0 dot products, threaded
// element-wise loops). CpuOptions::use_fast_paths = false selects the reference everywhere.
// See docs/cpu-backend.md.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>

#include "vm/cpu/thread_pool.h"
#include "vm/tensor/backend.h"

namespace tl {
namespace cpu {
struct Ctx;
struct Q8Scratch;
class RepackedWeight;
class RepackArena;
}  // namespace cpu

struct CpuOptions {
  int threads = 0;             // <= 0: std::thread::hardware_concurrency()
  bool use_fast_paths = true;  // false: reference kernels only (tests, debugging)
  // Bytes of tensor memory this backend may allocate over its lifetime (0: no limit); past it an
  // op fails with a RuntimeError. The fuzzers run hostile programs under it.
  uint64_t allocation_budget = 0;
  // Q8_0/Q4_0/Q4_K weights mapped from a model file are repacked at their first product into the
  // layout of the int8 kernels (vm/cpu/repack.h), where the CPU has them (AVX512-VNNI).
  bool repack_weights = true;
};

// Freed host blocks of kMinBytes and more, kept by size for the next allocation of that size. A
// fresh large allocation is mapped anew by malloc and page-faults on every first touch: on a
// prefill (the same shapes in every layer) that costs more than the arithmetic. At most
// kMaxBytes are kept; what does not fit is freed. Shared by the backend and its buffers, so a
// buffer that outlives the backend still has somewhere to go.
class BufferPool {
 public:
  static constexpr size_t kMinBytes = size_t{64} << 10, kMaxBytes = size_t{1} << 30;
  ~BufferPool();
  // 64-byte aligned, `bytes` rounded up to a multiple of 64 (and at least 64).
  void* acquire(size_t bytes);
  void release(void* p, size_t bytes);

 private:
  std::mutex mutex_;
  std::multimap<size_t, void*> free_;
  size_t kept_ = 0;
};

// Host memory: its own, 64-byte aligned (a whole cache line and AVX-512 vector), or borrowed
// read-only memory kept alive by an owner (a mapped model file, usually 32-byte aligned; no
// kernel needs more than element alignment). A borrowed buffer is never written: the backend's
// sole_owner() is false for it, so slice assignment copies first, and a stray write would fault
// on the read-only mapping instead of changing the file's bytes.
class CpuBuffer final : public Buffer {
 public:
  CpuBuffer(size_t bytes, std::shared_ptr<BufferPool> pool);
  CpuBuffer(std::span<const std::byte> borrowed, std::shared_ptr<const void> owner,
            bool file_mapped = false);
  ~CpuBuffer() override;
  std::byte* data() { return data_; }
  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  bool borrowed() const { return borrowed_; }
  // A borrowed Q8_0/Q4_0/Q4_K weight's repacked form for the int8 products (repack.h), made at its
  // first product as a [rows, cols] matrix and kept while the buffer lives (a borrowed buffer
  // never changes). When the memory is a file mapping, its pages are then dropped: the repacked
  // copy replaces them in memory, and any other read faults them back in from the file.
  // Called on the backend's thread only.
  const cpu::RepackedWeight* repacked(const cpu::Ctx& ctx, cpu::RepackArena& arena, DType type,
                                      int64_t rows, int64_t cols);

 private:
  std::unique_ptr<cpu::RepackedWeight> repacked_;
  bool file_mapped_ = false;
  std::byte* data_ = nullptr;
  size_t size_ = 0;
  std::shared_ptr<const void> storage_;  // owns data_, or keeps the borrowed memory alive
  bool borrowed_ = false;
};

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(CpuOptions options = {});
  ~CpuBackend() override;
  std::string_view name() const override;
  const CpuOptions& options() const { return options_; }
  int threads() const { return pool_.size(); }

  Tensor upload(const Shape& shape, DType dtype, std::span<const std::byte> data) override;
  // Keeps the pointer: no copy (see CpuBuffer).
  Tensor upload_borrowed(const Shape& shape, DType dtype, std::span<const std::byte> data,
                         std::shared_ptr<const void> owner, bool file_mapped = false) override;
  bool sole_owner(const Tensor& t) const override;
  void download(const Tensor& t, std::span<f16_bits> out) override;
  Tensor full(const Shape& shape, float value) override;
  Tensor dequantize(const Tensor& t) override;

  Tensor unary(UnaryOp op, const Tensor& x) override;
  Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) override;
  Tensor binary_scalar(BinaryOp op, const Tensor& a, float s, bool scalar_on_left) override;
  // Fused: every step in f32, one rounding (cpu::elementwise); see docs/cpu-backend.md.
  Tensor elementwise(const ElementwiseProgram& p, std::span<const ElementwiseArg> args) override;

  Tensor matmul(const Tensor& a, const Tensor& b) override;
  Tensor linear(const Tensor& x, const Tensor& w, const Tensor* b) override;

  Tensor reduce(ReduceOp op, const Tensor& x, std::optional<int> dim, bool keepdim) override;
  std::vector<int64_t> arg_reduce(ArgOp op, const Tensor& x, std::optional<int> dim) override;
  Tensor softmax(const Tensor& x, int dim) override;
  Tensor rms_norm(const Tensor& x, const Tensor* weight, float eps) override;
  Tensor layer_norm(const Tensor& x, const Tensor* weight, const Tensor* bias, float eps) override;

  Tensor permute(const Tensor& x, std::span<const int> perm) override;
  Tensor slice(const Tensor& x, std::span<const SliceAxis> axes) override;
  void assign_slice(const Tensor& dst, std::span<const SliceAxis> axes, const Tensor& src) override;
  Tensor concat(std::span<const Tensor> xs, int dim) override;

  Tensor embedding(const Tensor& table, std::span<const int64_t> ids) override;
  Tensor rope(const Tensor& x, int64_t start, float theta, RopeMode mode) override;
  Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, int64_t start,
                   float scale) override;

  // Convenience for tests and tools: upload f16 values.
  Tensor upload_f16(const Shape& shape, std::span<const f16_bits> values);

 private:
  Tensor make(const Shape& shape, DType dtype = DType::F16);
  // Checks that `t` lives on this backend and is F16 (dequantizing a quantized one into `tmp`).
  const f16_bits* f16_of(const Tensor& t, Tensor& tmp, const char* what);
  f16_bits* f16_mut(Tensor& t);

  CpuOptions options_;
  uint64_t allocated_ = 0;  // bytes made so far, against options_.allocation_budget
  cpu::ThreadPool pool_;
  std::shared_ptr<BufferPool> buffers_ = std::make_shared<BufferPool>();
  std::vector<float> attention_scratch_;        // grown on demand, reused by every attention call
  std::unique_ptr<cpu::Q8Scratch> q8_scratch_;  // reused by every quantized linear()
  std::unique_ptr<cpu::RepackArena> repack_arena_;  // where borrowed weights are repacked
};

}  // namespace tl
