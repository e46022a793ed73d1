// Where ggml's block formats keep their f16 scales (ggml-common.h layouts): tests that write
// random blocks put sane scales there, so the values stay finite and small.
#pragma once

#include <vector>

#include "vm/core/dtype.h"

namespace tl::test {

// Byte offsets of the f16 scale fields in one block of `type` (empty for F16/F32 and others).
inline std::vector<int> ggml_f16_scale_offsets(DType type) {
  switch (type) {
    case DType::Q4_0:
    case DType::Q5_0:
    case DType::Q8_0:
      return {0};
    case DType::Q4_1:
    case DType::Q5_1:
    case DType::Q8_1:
    case DType::Q4_K:
    case DType::Q5_K:
      return {0, 2};
    case DType::Q2_K:
      return {80, 82};
    case DType::Q3_K:
      return {108};
    case DType::Q6_K:
      return {208};
    default:
      return {};
  }
}

}  // namespace tl::test
