// Dequantization of ggml block formats: the reference every backend's dequantization kernel is
// tested against.
//
// CONTRACT: dequantize_row matches ggml's dequantize_row_* (ggml-quants.c) bit for bit in f32,
// for every DTypeKind::Quant type in dtype.def; also accepts F16, F32, BF16, F64.
#pragma once

#include <cstddef>
#include <cstdint>

#include "vm/core/dtype.h"

namespace tl {

// `n` must be a multiple of the type's block_elems; `src` holds n / block_elems blocks.
// Throws RuntimeError for a type it cannot dequantize.
void dequantize_row(DType type, const std::byte* src, float* dst, int64_t n);

}  // namespace tl
