// Shape rules and shared numerics of the language-model ops of the Backend (embedding, rope,
// attention): every backend checks its arguments with these, so the messages are the same on
// CPU and Vulkan, and computes RoPE angles with rope_angles, so the two agree bit for bit there.
#pragma once

#include <cstdint>
#include <span>

#include "vm/tensor/shape.h"

namespace tl {

// table must be [V, D]; every id in [0, V). Returns D.
int64_t check_embedding(const Shape& table, std::span<const int64_t> ids);

struct RopeDims {
  int64_t T, H, hd;
};
// x must be [T, H, hd] with hd even; start >= 0.
RopeDims check_rope(const Shape& x, int64_t start);

// llama.cpp's angles (ggml_rope_cache_init with freq_scale 1, no YaRN): theta_scale =
// powf(base, -2/hd) and angle_i = pos * theta_scale^i by repeated f32 multiplication, then
// cosf/sinf. cos_sin gets hd values: cos_sin[2i] = cos(angle_i), cos_sin[2i + 1] = sin(angle_i).
void rope_angles(int64_t pos, int64_t hd, float theta, float* cos_sin);

struct AttentionDims {
  int64_t T, H, hd, S, Hkv;
  int64_t group() const { return H / Hkv; }  // query heads per kv head
};
// q [T, H, hd], k and v [S, Hkv, hd] (equal shapes), H a multiple of Hkv, 0 <= start,
// start + T <= S.
AttentionDims check_attention(const Shape& q, const Shape& k, const Shape& v, int64_t start);

}  // namespace tl
