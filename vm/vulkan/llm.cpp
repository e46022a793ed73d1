// The language-model ops: arg_reduce, embedding, rope, attention (shaders/argreduce.comp,
// embedding.comp, rope.comp, attention.comp). Index lists and RoPE angles travel in buffers of
// 32-bit words, allocated as F16 tensors of twice as many elements (internal, never returned).
#include <fmt/format.h>

#include <cstring>

#include "vm/core/error.h"
#include "vm/tensor/llm.h"
#include "vm/vulkan/strides.h"
#include "vm/vulkan/vulkan_backend.h"

namespace tl {
namespace {

struct RowsPush {
  uint32_t outer, r, inner;
};
struct EmbeddingPush {
  uint32_t n, d, row_bytes;
};
struct RopePush {
  uint32_t pairs, h, hd;
};
struct AttentionPush {
  uint32_t t, h, hd, hkv, start;
  float scale;
};
constexpr int64_t kAttentionMaxHeadDim = 256;  // attention.comp: 4 output dims per invocation

}  // namespace

Tensor VulkanBackend::upload_words(std::span<const uint32_t> words) {
  return upload(Shape{2 * static_cast<int64_t>(words.size())}, DType::F16, std::as_bytes(words));
}

std::vector<int64_t> VulkanBackend::arg_reduce(ArgOp op, const Tensor& x_in,
                                               std::optional<int> dim) {
  const Tensor x = f16(x_in);
  const vk::RowView v = dim ? vk::row_view(x.shape, normalize_dim(*dim, x.shape.rank()))
                            : vk::RowView{1, x.numel(), 1};
  if (v.r == 0)
    throw RuntimeError(fmt::format("{} of an empty {} (shape {})", op_name(op),
                                   dim ? "dimension" : "tensor", x.shape.to_string()));
  const int64_t count = v.outer * v.inner;
  if (count == 0) return {};
  Tensor y = alloc(Shape{2 * count});  // count uint32 indices
  const RowsPush p{vk::u32(v.outer, "argmax"), vk::u32(v.r, "argmax"), vk::u32(v.inner, "argmax")};
  const bool row = v.inner == 1;
  run("argreduce", {&x, &y}, p, row ? vk::groups(p.outer, 1) : vk::groups(count), 1, 1,
      {static_cast<uint32_t>(op), row ? 1u : 0u});
  std::vector<f16_bits> bits(static_cast<size_t>(2 * count));
  download(y, bits);
  std::vector<uint32_t> words(static_cast<size_t>(count));
  std::memcpy(words.data(), bits.data(), words.size() * sizeof(uint32_t));
  return std::vector<int64_t>(words.begin(), words.end());
}

Tensor VulkanBackend::embedding(const Tensor& table, std::span<const int64_t> ids) {
  const int64_t D = check_embedding(table.shape, ids);
  if (table.backend != this || !table.buffer)
    throw RuntimeError("tensor passed to the Vulkan backend was made by another backend");
  const int64_t T = static_cast<int64_t>(ids.size());
  Tensor y = alloc(Shape{T, D});
  if (T == 0 || D == 0) return y;
  const DTypeInfo& info = dtype_info(table.dtype);
  std::vector<uint32_t> words(ids.begin(), ids.end());
  const Tensor id_buf = upload_words(words);
  const uint64_t row_bytes = *dtype_bytes(table.dtype, static_cast<uint64_t>(D));
  // The kernel addresses the table in bytes with 32 bits.
  vk::u32(static_cast<int64_t>(row_bytes) * table.shape[0], "embedding table bytes");
  const EmbeddingPush p{vk::u32(T * D, "embedding"), vk::u32(D, "embedding"),
                        static_cast<uint32_t>(row_bytes)};
  run("embedding", {&table, &id_buf, &y}, p, vk::groups(p.n), 1, 1,
      {static_cast<uint32_t>(info.ggml_type), info.block_elems, info.block_bytes});
  return y;
}

Tensor VulkanBackend::rope(const Tensor& x_in, int64_t start, float theta, RopeMode mode) {
  const Tensor x = f16(x_in);
  const RopeDims d = check_rope(x.shape, start);
  Tensor y = alloc(x.shape);
  if (x.numel() == 0) return y;
  std::vector<float> cs(static_cast<size_t>(d.T * d.hd));
  for (int64_t t = 0; t < d.T; ++t) rope_angles(start + t, d.hd, theta, cs.data() + t * d.hd);
  std::vector<uint32_t> words(cs.size());
  std::memcpy(words.data(), cs.data(), cs.size() * sizeof(float));
  const Tensor angles = upload_words(words);
  const RopePush p{vk::u32(x.numel() / 2, "rope"), vk::u32(d.H, "rope"), vk::u32(d.hd, "rope")};
  run("rope", {&x, &angles, &y}, p, vk::groups(p.pairs), 1, 1, {mode == RopeMode::Norm ? 0u : 1u});
  return y;
}

Tensor VulkanBackend::attention(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in,
                                int64_t start, float scale) {
  const Tensor q = f16(q_in), k = f16(k_in), v = f16(v_in);
  const AttentionDims d = check_attention(q.shape, k.shape, v.shape, start);
  if (d.hd > kAttentionMaxHeadDim)
    throw RuntimeError(
        fmt::format("attention: head dim {} is above the Vulkan backend's limit of {}", d.hd,
                    kAttentionMaxHeadDim));
  Tensor y = alloc(q.shape);
  if (y.numel() == 0) return y;
  const AttentionPush p{vk::u32(d.T, "attention"),   vk::u32(d.H, "attention"),
                        vk::u32(d.hd, "attention"),  vk::u32(d.Hkv, "attention"),
                        vk::u32(start, "attention"), scale};
  vk::u32(k.numel(), "attention");
  run("attention", {&q, &k, &v, &y}, p, vk::groups(d.T * d.H, 1));
  return y;
}

}  // namespace tl
