#include "vm/tensor/llm.h"

#include <fmt/format.h>

#include <math.h>

#include "vm/core/error.h"

namespace tl {

int64_t check_embedding(const Shape& table, std::span<const int64_t> ids) {
  if (table.rank() != 2)
    throw RuntimeError(fmt::format(
        "embedding: the table must be [V, D] (one row per token), got {}", table.to_string()));
  const int64_t V = table[0];
  for (int64_t id : ids)
    if (id < 0 || id >= V)
      throw RuntimeError(fmt::format(
          "embedding: token id {} is out of range for a table of {} rows (valid ids: 0 to {})", id,
          V, V - 1));
  return table[1];
}

RopeDims check_rope(const Shape& x, int64_t start) {
  if (x.rank() != 3)
    throw RuntimeError(fmt::format(
        "rope: x must be [T, H, hd] (positions, heads, head dim), got {}", x.to_string()));
  if (x[2] % 2 != 0)
    throw RuntimeError(fmt::format(
        "rope: the head dim must be even (pairs are rotated), got {} in {}", x[2], x.to_string()));
  if (start < 0) throw RuntimeError(fmt::format("rope: start must be >= 0, got {}", start));
  return {x[0], x[1], x[2]};
}

void rope_angles(int64_t pos, int64_t hd, float theta, float* cos_sin) {
  const float theta_scale = powf(theta, -2.0f / static_cast<float>(hd));
  float angle = static_cast<float>(pos);
  for (int64_t i = 0; i < hd / 2; ++i) {
    cos_sin[2 * i] = cosf(angle);
    cos_sin[2 * i + 1] = sinf(angle);
    angle *= theta_scale;
  }
}

AttentionDims check_attention(const Shape& q, const Shape& k, const Shape& v, int64_t start) {
  if (q.rank() != 3 || k.rank() != 3)
    throw RuntimeError(
        fmt::format("attention: q must be [T, H, hd] and k, v [S, Hkv, hd], got q {} and k {}",
                    q.to_string(), k.to_string()));
  if (!(k == v))
    throw RuntimeError(fmt::format("attention: k and v must have the same shape, got {} and {}",
                                   k.to_string(), v.to_string()));
  const AttentionDims d{q[0], q[1], q[2], k[0], k[1]};
  if (k[2] != d.hd)
    throw RuntimeError(fmt::format("attention: head dims differ: q {} has {}, k {} has {}",
                                   q.to_string(), d.hd, k.to_string(), k[2]));
  if (d.Hkv == 0 || d.H % d.Hkv != 0)
    throw RuntimeError(
        fmt::format("attention: the {} query heads of q {} are not a multiple of the {} kv heads "
                    "of k {}",
                    d.H, q.to_string(), d.Hkv, k.to_string()));
  if (start < 0) throw RuntimeError(fmt::format("attention: start must be >= 0, got {}", start));
  if (start + d.T > d.S)
    throw RuntimeError(
        fmt::format("attention: positions {} to {} need {} cache rows, but k and v have {} ({})",
                    start, start + d.T - 1, start + d.T, d.S, k.to_string()));
  return d;
}

}  // namespace tl
