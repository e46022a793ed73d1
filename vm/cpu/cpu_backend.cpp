#include "vm/cpu/cpu_backend.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "vm/core/error.h"
#include "vm/cpu/convert.h"
#include "vm/cpu/kernels.h"
#include "vm/cpu/repack.h"

namespace tl {

// ---- buffers ----------------------------------------------------------------------------------

namespace {
// What a block of `bytes` takes: whole 64-byte lines, at least one.
size_t block_size(size_t bytes) {
  return std::max<size_t>(64, (bytes + 63) / 64 * 64);
}

// madvise(advice) on the whole `page`-sized pages inside [p, p + bytes): a page the range shares
// with its neighbours is left alone.
void advise_pages_inside(const void* p, size_t bytes, uintptr_t page, int advice) {
  const auto begin = reinterpret_cast<uintptr_t>(p);
  const uintptr_t first = (begin + page - 1) / page * page, last = (begin + bytes) / page * page;
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, advice);
}
}  // namespace

BufferPool::~BufferPool() {
  for (const auto& [bytes, p] : free_) std::free(p);
}

void* BufferPool::acquire(size_t bytes) {
  const size_t rounded = block_size(bytes);
  if (rounded >= kMinBytes) {
    std::lock_guard lock(mutex_);
    if (auto it = free_.find(rounded); it != free_.end()) {
      void* p = it->second;
      free_.erase(it);
      kept_ -= rounded;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, rounded);
  if (!p) throw RuntimeError(fmt::format("out of memory allocating {} bytes", bytes));
#ifdef MADV_HUGEPAGE
  // A large block (logits, a prefill's activations) in huge pages where the kernel has them: a
  // first touch then faults once per 2 MiB instead of once per 4 KiB (on a VM, each fault is
  // microseconds). Advice, not a requirement.
  advise_pages_inside(p, rounded, cpu::HugeBuffer::kHugePageBytes, MADV_HUGEPAGE);
#endif
  return p;
}

void BufferPool::release(void* p, size_t bytes) {
  const size_t rounded = block_size(bytes);
  if (rounded >= kMinBytes) {
    std::lock_guard lock(mutex_);
    if (kept_ + rounded <= kMaxBytes) {
      free_.emplace(rounded, p);
      kept_ += rounded;
      return;
    }
  }
  std::free(p);
}

CpuBuffer::CpuBuffer(size_t bytes, std::shared_ptr<BufferPool> pool)
    : data_(static_cast<std::byte*>(pool->acquire(bytes))), size_(bytes) {
  storage_ = std::shared_ptr<const void>(data_, [pool = std::move(pool), bytes](const void* q) {
    pool->release(const_cast<void*>(q), bytes);
  });
}

CpuBuffer::CpuBuffer(std::span<const std::byte> borrowed, std::shared_ptr<const void> owner,
                     bool file_mapped)
    : file_mapped_(file_mapped),
      data_(const_cast<std::byte*>(borrowed.data())),
      size_(borrowed.size()),
      storage_(std::move(owner)),
      borrowed_(true) {}

CpuBuffer::~CpuBuffer() = default;

const cpu::RepackedWeight* CpuBuffer::repacked(const cpu::Ctx& ctx, cpu::RepackArena& arena,
                                               DType type, int64_t rows, int64_t cols) {
  if (!borrowed_ || !cpu::RepackedWeight::supported(ctx, type, rows, cols)) return nullptr;
  if (repacked_) {
    // The same bytes seen as another matrix (a reshaped view) use the file's layout.
    const bool same =
        repacked_->type() == type && repacked_->rows() == rows && repacked_->cols() == cols;
    return same ? repacked_.get() : nullptr;
  }
  const auto row_bytes = static_cast<int64_t>(*dtype_bytes(type, static_cast<uint64_t>(cols)));
  if (row_bytes * rows != static_cast<int64_t>(size_)) return nullptr;
  repacked_ = std::make_unique<cpu::RepackedWeight>(ctx, arena, type, data_, row_bytes, rows, cols);
  if (file_mapped_)
    advise_pages_inside(data_, size_, static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE)),
                        MADV_DONTNEED);
  return repacked_.get();
}

namespace {

CpuBuffer& cpu_buffer(const Tensor& t) {
  return static_cast<CpuBuffer&>(*t.buffer);
}

// Product of dims in [from, to).
int64_t dims_product(const Shape& s, size_t from, size_t to) {
  int64_t n = 1;
  for (size_t i = from; i < to; ++i) n *= s[i];
  return n;
}

// Copies the elements of a strided source view (dims, element strides, base offset) into a
// strided destination view of the same dims. Reference: unravel each index. Fast: coalesce the
// dims, then an odometer over the outer dims with a contiguous (memcpy) or strided inner loop, so
// a contiguous region (a leading-dim slice) is one memcpy.
struct StridedView {
  int64_t offset = 0;
  std::vector<int64_t> strides;
};
void copy_strided(bool fast, const f16_bits* src, StridedView s, std::vector<int64_t> dims,
                  f16_bits* dst, StridedView d) {
  int64_t n = 1;
  for (int64_t k : dims) n *= k;
  if (n == 0) return;
  if (!fast || dims.empty()) {
    const size_t r = dims.size();
    for (int64_t i = 0; i < n; ++i) {
      int64_t rem = i, so = s.offset, dof = d.offset;
      for (size_t k = r; k-- > 0;) {
        so += rem % dims[k] * s.strides[k];
        dof += rem % dims[k] * d.strides[k];
        rem /= dims[k];
      }
      dst[dof] = src[so];
    }
    return;
  }
  std::vector<int64_t>* lists[] = {&s.strides, &d.strides};
  coalesce_dims(dims, lists);
  if (dims.empty()) {
    dst[d.offset] = src[s.offset];
    return;
  }
  const size_t r = dims.size();
  const int64_t inner = dims[r - 1], sin = s.strides[r - 1], din = d.strides[r - 1];
  std::vector<int64_t> idx(r, 0);
  int64_t so = s.offset, dof = d.offset;
  for (int64_t row = 0; row < n / inner; ++row) {
    if (sin == 1 && din == 1) {
      std::memcpy(dst + dof, src + so, static_cast<size_t>(inner) * sizeof(f16_bits));
    } else {
      for (int64_t j = 0; j < inner; ++j) dst[dof + j * din] = src[so + j * sin];
    }
    for (size_t k = r - 1; k-- > 0;) {  // advance the odometer over the outer dims
      so += s.strides[k];
      dof += d.strides[k];
      if (++idx[k] < dims[k]) break;
      so -= s.strides[k] * dims[k];
      dof -= d.strides[k] * dims[k];
      idx[k] = 0;
    }
  }
}

}  // namespace

// ---- backend ----------------------------------------------------------------------------------

CpuBackend::CpuBackend(CpuOptions options)
    : options_(options),
      pool_(options.threads),
      q8_scratch_(std::make_unique<cpu::Q8Scratch>()),
      repack_arena_(std::make_unique<cpu::RepackArena>()) {}

CpuBackend::~CpuBackend() = default;

std::string_view CpuBackend::name() const {
  return options_.use_fast_paths ? "cpu" : "cpu-reference";
}

Tensor CpuBackend::make(const Shape& shape, DType dtype) {
  for (int64_t d : shape.dims())
    if (d < 0) throw RuntimeError(fmt::format("negative dimension in shape {}", shape.to_string()));
  const auto bytes = dtype_bytes(dtype, static_cast<uint64_t>(shape.numel()));
  if (!bytes)
    throw RuntimeError(fmt::format("a {} tensor of shape {} is not a whole number of blocks",
                                   dtype_name(dtype), shape.to_string()));
  if (options_.allocation_budget != 0) {
    allocated_ += *bytes;
    if (allocated_ > options_.allocation_budget)
      throw RuntimeError(fmt::format("the backend's memory budget of {} bytes is spent",
                                     options_.allocation_budget));
  }
  return Tensor{shape, dtype, std::make_shared<CpuBuffer>(*bytes, buffers_), this};
}

f16_bits* CpuBackend::f16_mut(Tensor& t) {
  return reinterpret_cast<f16_bits*>(cpu_buffer(t).data());
}

const f16_bits* CpuBackend::f16_of(const Tensor& t, Tensor& tmp, const char* what) {
  if (!t.buffer || t.backend != this)
    throw RuntimeError(fmt::format("{}: tensor does not belong to the {} backend", what, name()));
  if (t.quantized()) {
    tmp = dequantize(t);
    return f16_mut(tmp);
  }
  return reinterpret_cast<const f16_bits*>(cpu_buffer(t).data());
}

namespace {

// Checks an upload of `data` as a `shape` tensor of `dtype` (what the CPU backend stores, a
// whole number of blocks per row, the exact byte count) and throws what is wrong.
void check_upload(const Shape& shape, DType dtype, size_t data_bytes) {
  const auto& info = dtype_info(dtype);
  if (dtype != DType::F16 && info.kind != DTypeKind::Quant)
    throw RuntimeError(
        fmt::format("upload: the CPU backend stores F16 or ggml block formats, not {}", info.name));
  if (info.kind == DTypeKind::Quant &&
      (shape.rank() == 0 || shape[shape.rank() - 1] % info.block_elems != 0))
    throw RuntimeError(
        fmt::format("upload: a {} tensor needs a last dimension that is a multiple of {}, got "
                    "shape {}",
                    info.name, info.block_elems, shape.to_string()));
  for (int64_t d : shape.dims())
    if (d < 0) throw RuntimeError(fmt::format("negative dimension in shape {}", shape.to_string()));
  const auto bytes = dtype_bytes(dtype, static_cast<uint64_t>(shape.numel()));
  if (!bytes || *bytes != data_bytes)
    throw RuntimeError(fmt::format("upload: shape {} of {} needs {} bytes, got {}",
                                   shape.to_string(), info.name, bytes ? *bytes : 0, data_bytes));
}

}  // namespace

Tensor CpuBackend::upload(const Shape& shape, DType dtype, std::span<const std::byte> data) {
  check_upload(shape, dtype, data.size());
  Tensor t = make(shape, dtype);
  if (!data.empty()) std::memcpy(cpu_buffer(t).data(), data.data(), data.size());
  return t;
}

Tensor CpuBackend::upload_borrowed(const Shape& shape, DType dtype, std::span<const std::byte> data,
                                   std::shared_ptr<const void> owner, bool file_mapped) {
  check_upload(shape, dtype, data.size());
  // f16 elements need their alignment; ggml blocks are read bytewise.
  const bool aligned =
      dtype != DType::F16 || reinterpret_cast<std::uintptr_t>(data.data()) % alignof(f16_bits) == 0;
  if (!owner || !aligned || data.empty()) return upload(shape, dtype, data);
  return Tensor{shape, dtype, std::make_shared<CpuBuffer>(data, std::move(owner), file_mapped),
                this};
}

bool CpuBackend::sole_owner(const Tensor& t) const {
  return t.buffer.use_count() == 1 && !cpu_buffer(t).borrowed();
}

Tensor CpuBackend::upload_f16(const Shape& shape, std::span<const f16_bits> values) {
  return upload(shape, DType::F16, std::as_bytes(values));
}

void CpuBackend::download(const Tensor& t, std::span<f16_bits> out) {
  if (static_cast<int64_t>(out.size()) != t.numel())
    throw RuntimeError(fmt::format("download: tensor {} has {} elements, buffer holds {}",
                                   t.shape.to_string(), t.numel(), out.size()));
  Tensor tmp;
  const f16_bits* p = f16_of(t, tmp, "download");
  if (!out.empty()) std::memcpy(out.data(), p, out.size() * sizeof(f16_bits));
}

Tensor CpuBackend::full(const Shape& shape, float value) {
  Tensor t = make(shape);
  std::fill_n(f16_mut(t), t.numel(), f32_to_f16(value));
  return t;
}

Tensor CpuBackend::dequantize(const Tensor& t) {
  if (!t.quantized()) return t;
  if (!t.buffer || t.backend != this)
    throw RuntimeError(fmt::format("dequantize: tensor does not belong to the {} backend", name()));
  Tensor out = make(t.shape);
  const auto& info = dtype_info(t.dtype);
  const int64_t row = t.shape[t.shape.rank() - 1];
  const int64_t rows = row ? t.numel() / row : 0;
  const std::byte* src = cpu_buffer(t).data();
  f16_bits* dst = f16_mut(out);
  const bool fast = options_.use_fast_paths;
  cpu::parallel(cpu::Ctx{fast ? &pool_ : nullptr, fast}, rows, [&](int64_t r) {
    std::vector<float> tmp(static_cast<size_t>(row));
    cpu::dequantize(t.dtype, src + r * (row / info.block_elems) * info.block_bytes, tmp.data(), row,
                    fast);
    if (fast)
      cpu::f32_to_f16_row(tmp.data(), dst + r * row, row);
    else
      cpu::f32_to_f16_row_ref(tmp.data(), dst + r * row, row);
  });
  return out;
}

namespace {
cpu::Ctx make_ctx(const CpuOptions& o, cpu::ThreadPool& pool) {
  return cpu::Ctx{&pool, o.use_fast_paths};
}
}  // namespace

Tensor CpuBackend::unary(UnaryOp op, const Tensor& x) {
  Tensor tx;
  const f16_bits* px = f16_of(x, tx, "unary");
  Tensor y = make(x.shape);
  cpu::unary(make_ctx(options_, pool_), op, px, f16_mut(y), x.numel());
  return y;
}

Tensor CpuBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const Shape out = broadcast_shapes(a.shape, b.shape, op_name(op).data());
  Tensor ta, tb;
  const f16_bits* pa = f16_of(a, ta, "binary");
  const f16_bits* pb = f16_of(b, tb, "binary");
  Tensor y = make(out);
  cpu::binary(make_ctx(options_, pool_), op, pa, pb, f16_mut(y),
              cpu::broadcast_view(out, a.shape, b.shape));
  return y;
}

Tensor CpuBackend::binary_scalar(BinaryOp op, const Tensor& a, float s, bool scalar_on_left) {
  Tensor ta;
  const f16_bits* pa = f16_of(a, ta, "binary");
  Tensor y = make(a.shape);
  cpu::binary_scalar(make_ctx(options_, pool_), op, pa, s, scalar_on_left, f16_mut(y), a.numel());
  return y;
}

Tensor CpuBackend::elementwise(const ElementwiseProgram& p, std::span<const ElementwiseArg> args) {
  if (std::string why = validate(p); !why.empty())
    throw RuntimeError("malformed fused element-wise program: " + why);
  const Shape out = elementwise_shape(p, args);
  std::vector<Tensor> tmp(args.size());
  std::vector<cpu::FusedInput> inputs(args.size());
  for (size_t k = 0; k < args.size(); ++k) {
    if (!args[k].tensor.buffer) {
      inputs[k].scalar = args[k].scalar;
      continue;
    }
    const Tensor& t = args[k].tensor;
    inputs[k].data = f16_of(t, tmp[k], "fused element-wise op");
    inputs[k].strides = broadcast_strides(t.shape, out);
  }
  Tensor y = make(out);
  cpu::elementwise(make_ctx(options_, pool_), p, inputs, out.dims(), f16_mut(y));
  return y;
}

Tensor CpuBackend::matmul(const Tensor& a, const Tensor& b) {
  const Shape out = matmul_shape(a.shape, b.shape);
  Tensor ta, tb;
  const f16_bits* pa = f16_of(a, ta, "@");
  const f16_bits* pb = f16_of(b, tb, "@");
  // Promote 1-D operands (NumPy): a [K] -> [1, K], b [K] -> [K, 1].
  std::vector<int64_t> da = a.shape.dims(), db = b.shape.dims();
  if (da.size() == 1) da.insert(da.begin(), 1);
  if (db.size() == 1) db.push_back(1);
  const int64_t M = da[da.size() - 2], K = da.back(), N = db.back();
  const Shape batch_a(std::vector<int64_t>(da.begin(), da.end() - 2));
  const Shape batch_b(std::vector<int64_t>(db.begin(), db.end() - 2));
  const Shape batch = broadcast_shapes(batch_a, batch_b, "@");
  const cpu::BroadcastView bv = cpu::broadcast_view(batch, batch_a, batch_b);
  const int64_t batches = batch.numel();
  Tensor y = make(out);
  f16_bits* py = f16_mut(y);
  auto one = [&](const cpu::Ctx& ctx, int64_t bi) {
    int64_t rem = bi, oa = 0, ob = 0;  // offsets in matrices
    for (size_t d = bv.dims.size(); d-- > 0;) {
      const int64_t c = rem % bv.dims[d];
      rem /= bv.dims[d];
      oa += c * bv.sa[d];
      ob += c * bv.sb[d];
    }
    const cpu::Rhs rhs{cpu::Rhs::Layout::KN, DType::F16,
                       reinterpret_cast<const std::byte*>(pb + ob * K * N),
                       N * static_cast<int64_t>(sizeof(f16_bits))};
    cpu::gemm(ctx, M, N, K, pa + oa * M * K, K, rhs, nullptr, py + bi * M * N, N);
  };
  const cpu::Ctx ctx = make_ctx(options_, pool_);
  if (ctx.fast && batches > 1 && M * N * K < (1 << 20)) {
    // Many small products: one per task, each on one thread.
    cpu::parallel(ctx, batches, [&](int64_t bi) { one(cpu::Ctx{nullptr, true}, bi); });
  } else {
    for (int64_t bi = 0; bi < batches; ++bi) one(ctx, bi);
  }
  return y;
}

Tensor CpuBackend::linear(const Tensor& x, const Tensor& w, const Tensor* b) {
  if (w.shape.rank() != 2)
    throw RuntimeError(
        fmt::format("linear: weight must have shape [out, in], got {}", w.shape.to_string()));
  if (x.shape.rank() == 0)
    throw RuntimeError("linear: input must have rank 1 or more, got a scalar");
  const int64_t out_f = w.shape[0], in_f = w.shape[1];
  if (x.shape[x.shape.rank() - 1] != in_f)
    throw RuntimeError(fmt::format("linear: input {} has {} features, weight {} expects {}",
                                   x.shape.to_string(), x.shape[x.shape.rank() - 1],
                                   w.shape.to_string(), in_f));
  if (b && !(b->shape == Shape{out_f}))
    throw RuntimeError(
        fmt::format("linear: bias must have shape [{}], got {}", out_f, b->shape.to_string()));
  if (!w.buffer || w.backend != this)
    throw RuntimeError(fmt::format("linear: weight does not belong to the {} backend", name()));
  Tensor tx, tb;
  const f16_bits* px = f16_of(x, tx, "linear");
  const f16_bits* pb = b ? f16_of(*b, tb, "linear") : nullptr;
  std::vector<int64_t> od = x.shape.dims();
  od.back() = out_f;
  Tensor y = make(Shape(od));
  const int64_t rows = in_f ? x.numel() / in_f : dims_product(x.shape, 0, x.shape.rank() - 1);
  const cpu::Rhs rhs{cpu::Rhs::Layout::NK, w.dtype, cpu_buffer(w).data(),
                     static_cast<int64_t>(*dtype_bytes(w.dtype, static_cast<uint64_t>(in_f)))};
  cpu::Ctx ctx = make_ctx(options_, pool_);
  ctx.q8_scratch = q8_scratch_.get();
  const cpu::RepackedWeight* r =
      options_.repack_weights ? cpu_buffer(w).repacked(ctx, *repack_arena_, w.dtype, out_f, in_f)
                              : nullptr;
  if (r)
    r->gemm(ctx, rows, px, in_f, pb, f16_mut(y), out_f);
  else
    cpu::gemm(ctx, rows, out_f, in_f, px, in_f, rhs, pb, f16_mut(y), out_f);
  return y;
}

Tensor CpuBackend::reduce(ReduceOp op, const Tensor& x, std::optional<int> dim, bool keepdim) {
  int64_t outer = 1, n = x.numel(), inner = 1;
  std::optional<int> d;
  if (dim) {
    d = normalize_dim(*dim, x.shape.rank());
    outer = dims_product(x.shape, 0, *d);
    n = x.shape[*d];
    inner = dims_product(x.shape, *d + 1, x.shape.rank());
  }
  const Shape out = reduce_shape(x.shape, d, keepdim);
  const bool needs_element = op == ReduceOp::Max || op == ReduceOp::Min;
  if (needs_element && n == 0 && out.numel() != 0)
    throw RuntimeError(fmt::format("{} of an empty {} (shape {}): there is no identity",
                                   op_name(op), dim ? "dimension" : "tensor", x.shape.to_string()));
  Tensor tx;
  const f16_bits* px = f16_of(x, tx, op_name(op).data());
  Tensor y = make(out);
  if (out.numel() > 0) cpu::reduce(make_ctx(options_, pool_), op, px, f16_mut(y), outer, n, inner);
  return y;
}

std::vector<int64_t> CpuBackend::arg_reduce(ArgOp op, const Tensor& x, std::optional<int> dim) {
  int64_t outer = 1, n = x.numel(), inner = 1;
  if (dim) {
    const int d = normalize_dim(*dim, x.shape.rank());
    outer = dims_product(x.shape, 0, d);
    n = x.shape[d];
    inner = dims_product(x.shape, d + 1, x.shape.rank());
  }
  if (n == 0)
    throw RuntimeError(fmt::format("{} of an empty {} (shape {})", op_name(op),
                                   dim ? "dimension" : "tensor", x.shape.to_string()));
  Tensor tx;
  const f16_bits* px = f16_of(x, tx, op_name(op).data());
  std::vector<int64_t> y(static_cast<size_t>(outer * inner));
  cpu::arg_reduce(make_ctx(options_, pool_), op, px, y.data(), outer, n, inner);
  return y;
}

Tensor CpuBackend::softmax(const Tensor& x, int dim) {
  const int d = normalize_dim(dim, x.shape.rank());
  Tensor tx;
  const f16_bits* px = f16_of(x, tx, "softmax");
  Tensor y = make(x.shape);
  if (x.numel() > 0)
    cpu::softmax(make_ctx(options_, pool_), px, f16_mut(y), dims_product(x.shape, 0, d), x.shape[d],
                 dims_product(x.shape, d + 1, x.shape.rank()));
  return y;
}

namespace {
int64_t last_dim(const Tensor& x, const char* op) {
  if (x.shape.rank() == 0)
    throw RuntimeError(fmt::format("{}: input must have rank 1 or more", op));
  return x.shape[x.shape.rank() - 1];
}
void check_param(const Tensor* p, int64_t n, const char* op, const char* what, const Shape& xs) {
  if (p && !(p->shape == Shape{n}))
    throw RuntimeError(fmt::format("{}: {} must have shape [{}] to match input {}, got {}", op,
                                   what, n, xs.to_string(), p->shape.to_string()));
}
}  // namespace

Tensor CpuBackend::rms_norm(const Tensor& x, const Tensor* weight, float eps) {
  const int64_t n = last_dim(x, "rms_norm");
  check_param(weight, n, "rms_norm", "weight", x.shape);
  Tensor tx, tw;
  const f16_bits* px = f16_of(x, tx, "rms_norm");
  const f16_bits* pw = weight ? f16_of(*weight, tw, "rms_norm") : nullptr;
  Tensor y = make(x.shape);
  if (x.numel() > 0)
    cpu::rms_norm(make_ctx(options_, pool_), px, pw, f16_mut(y), x.numel() / n, n, eps);
  return y;
}

Tensor CpuBackend::layer_norm(const Tensor& x, const Tensor* weight, const Tensor* bias,
                              float eps) {
  const int64_t n = last_dim(x, "layer_norm");
  check_param(weight, n, "layer_norm", "weight", x.shape);
  check_param(bias, n, "layer_norm", "bias", x.shape);
  Tensor tx, tw, tb;
  const f16_bits* px = f16_of(x, tx, "layer_norm");
  const f16_bits* pw = weight ? f16_of(*weight, tw, "layer_norm") : nullptr;
  const f16_bits* pb = bias ? f16_of(*bias, tb, "layer_norm") : nullptr;
  Tensor y = make(x.shape);
  if (x.numel() > 0)
    cpu::layer_norm(make_ctx(options_, pool_), px, pw, pb, f16_mut(y), x.numel() / n, n, eps);
  return y;
}

Tensor CpuBackend::permute(const Tensor& x, std::span<const int> perm) {
  const size_t r = x.shape.rank();
  if (perm.size() != r)
    throw RuntimeError(fmt::format("permute: {} dims given for a tensor of rank {} (shape {})",
                                   perm.size(), r, x.shape.to_string()));
  std::vector<int> p(r);
  std::vector<bool> seen(r, false);
  for (size_t i = 0; i < r; ++i) {
    p[i] = normalize_dim(perm[i], r);
    if (seen[p[i]])
      throw RuntimeError(
          fmt::format("permute: dimension {} appears twice in [{}]", p[i], fmt::join(perm, ", ")));
    seen[p[i]] = true;
  }
  Tensor tx;
  const f16_bits* px = f16_of(x, tx, "permute");
  const auto st = x.shape.strides();
  std::vector<int64_t> dims(r), strides(r);
  for (size_t i = 0; i < r; ++i) {
    dims[i] = x.shape[p[i]];
    strides[i] = st[p[i]];
  }
  Tensor y = make(Shape(dims));
  copy_strided(options_.use_fast_paths, px, {0, strides}, dims, f16_mut(y), {0, y.shape.strides()});
  return y;
}

namespace {
// The strided view of x that `axes` select: its offset and per-dim strides.
StridedView slice_view(const Shape& x, std::span<const SliceAxis> axes,
                       std::span<const int64_t> dims) {
  const auto st = x.strides();
  StridedView v;
  for (size_t i = 0; i < x.rank(); ++i) {
    v.strides.push_back(slice_stride(st[i], axes[i], dims[i]));
    v.offset += axes[i].start * st[i];
  }
  return v;
}
}  // namespace

Tensor CpuBackend::slice(const Tensor& x, std::span<const SliceAxis> axes) {
  const std::vector<int64_t> dims = slice_region(x.shape, axes, "slice");
  Tensor tx;
  const f16_bits* px = f16_of(x, tx, "slice");
  Tensor y = make(Shape(dims));
  copy_strided(options_.use_fast_paths, px, slice_view(x.shape, axes, dims), dims, f16_mut(y),
               {0, y.shape.strides()});
  return y;
}

void CpuBackend::assign_slice(const Tensor& dst, std::span<const SliceAxis> axes,
                              const Tensor& src) {
  if (!dst.buffer || dst.backend != this || dst.quantized())
    throw RuntimeError("assign_slice: the target must be an F16 tensor of the CPU backend");
  const std::vector<int64_t> dims = slice_region(dst.shape, axes, "slice assignment");
  check_assign_source(src.shape, dims);
  Tensor ts;
  const f16_bits* ps = f16_of(src, ts, "slice assignment");
  std::vector<int64_t> ss = src.shape.strides();
  for (size_t i = 0; i < dims.size(); ++i)
    if (src.shape[i] != dims[i]) ss[i] = 0;  // broadcast
  Tensor d = dst;
  copy_strided(options_.use_fast_paths, ps, {0, ss}, dims, f16_mut(d),
               slice_view(dst.shape, axes, dims));
}

Tensor CpuBackend::concat(std::span<const Tensor> xs, int dim) {
  if (xs.empty()) throw RuntimeError("concat: needs at least one tensor");
  const Shape& first = xs[0].shape;
  if (first.rank() == 0) throw RuntimeError("concat: tensors must have rank 1 or more");
  const int d = normalize_dim(dim, first.rank());
  std::vector<int64_t> od = first.dims();
  od[d] = 0;
  for (const Tensor& t : xs) {
    bool ok = t.shape.rank() == first.rank();
    for (size_t i = 0; ok && i < first.rank(); ++i)
      ok = static_cast<int>(i) == d || t.shape[i] == first[i];
    if (!ok)
      throw RuntimeError(
          fmt::format("concat along dimension {}: shapes {} and {} differ in "
                      "another dimension",
                      d, first.to_string(), t.shape.to_string()));
    od[d] += t.shape[d];
  }
  Tensor y = make(Shape(od));
  f16_bits* py = f16_mut(y);
  const int64_t outer = dims_product(first, 0, d), inner = dims_product(first, d + 1, first.rank());
  int64_t at = 0;  // running offset along `dim`
  for (const Tensor& t : xs) {
    Tensor tmp;
    const f16_bits* pt = f16_of(t, tmp, "concat");
    const int64_t run = t.shape[d] * inner;
    for (int64_t o = 0; o < outer; ++o)
      if (run)
        std::memcpy(py + (o * od[d] + at) * inner, pt + o * run, static_cast<size_t>(run) * 2);
    at += t.shape[d];
  }
  return y;
}

// ---- language-model ops ----------------------------------------------------------------------

Tensor CpuBackend::embedding(const Tensor& table, std::span<const int64_t> ids) {
  const int64_t D = check_embedding(table.shape, ids);
  if (!table.buffer || table.backend != this)
    throw RuntimeError(fmt::format("embedding: table does not belong to the {} backend", name()));
  Tensor y = make(Shape{static_cast<int64_t>(ids.size()), D});
  const auto row_bytes = static_cast<int64_t>(*dtype_bytes(table.dtype, static_cast<uint64_t>(D)));
  cpu::embedding(make_ctx(options_, pool_), table.dtype, cpu_buffer(table).data(), row_bytes, D,
                 ids, f16_mut(y));
  return y;
}

Tensor CpuBackend::rope(const Tensor& x, int64_t start, float theta, RopeMode mode) {
  const RopeDims d = check_rope(x.shape, start);
  Tensor tx;
  const f16_bits* px = f16_of(x, tx, "rope");
  Tensor y = make(x.shape);
  cpu::rope(make_ctx(options_, pool_), mode, px, f16_mut(y), d.T, d.H, d.hd, start, theta);
  return y;
}

Tensor CpuBackend::attention(const Tensor& q, const Tensor& k, const Tensor& v, int64_t start,
                             float scale) {
  const AttentionDims d = check_attention(q.shape, k.shape, v.shape, start);
  Tensor tq, tk, tv;
  const f16_bits* pq = f16_of(q, tq, "attention");
  const f16_bits* pk = f16_of(k, tk, "attention");
  const f16_bits* pv = f16_of(v, tv, "attention");
  Tensor y = make(q.shape);
  const cpu::Ctx ctx = make_ctx(options_, pool_);
  const size_t need = cpu::attention_scratch_floats(ctx, d, start);
  if (attention_scratch_.size() < need) attention_scratch_.resize(need);
  if (y.numel() > 0)
    cpu::attention(ctx, pq, pk, pv, f16_mut(y), d, start, scale, attention_scratch_);
  return y;
}

}  // namespace tl
