// Bulk f16 <-> f32 conversion. The vectorised versions (AVX-512F / F16C, portable fallback
// otherwise) agree bit for bit with the scalar vm/core/half.h, NaN payloads included
// (tests/cpu/convert_test.cpp checks all 65536 f16 values and a large sample of f32 values).
#pragma once

#include <cstdint>

#include "vm/core/half.h"
#include "vm/cpu/cpu_features.h"

namespace tl::cpu {

void f16_to_f32_row(const f16_bits* src, float* dst, int64_t n);
void f32_to_f16_row(const float* src, f16_bits* dst, int64_t n);
// The same at a given tier (which the caller checked the host has); the ones above use the
// host's (host_kernels().isa).
void f16_to_f32_row_isa(Isa isa, const f16_bits* src, float* dst, int64_t n);
void f32_to_f16_row_isa(Isa isa, const float* src, f16_bits* dst, int64_t n);

// The scalar loops over half.h: the reference the vectorised versions are tested against.
void f16_to_f32_row_ref(const f16_bits* src, float* dst, int64_t n);
void f32_to_f16_row_ref(const float* src, f16_bits* dst, int64_t n);

}  // namespace tl::cpu
