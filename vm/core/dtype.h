// Element types of model files, generated from dtype.def (the single table).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tl {

enum class DType : uint8_t {
#define TL_DTYPE(e, name, ggml, be, bb, kind) e,
#include "vm/core/dtype.def"
#undef TL_DTYPE
};

enum class DTypeKind : uint8_t { Float, Quant, Int, Unsupported };

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  int ggml_type;  // -1 when ggml has no such type
  uint32_t block_elems;
  uint32_t block_bytes;
  DTypeKind kind;
};

inline constexpr DTypeInfo kDTypeTable[] = {
#define TL_DTYPE(e, name, ggml, be, bb, kind) {DType::e, name, ggml, be, bb, DTypeKind::kind},
#include "vm/core/dtype.def"
#undef TL_DTYPE
};

inline constexpr const DTypeInfo& dtype_info(DType t) {
  return kDTypeTable[static_cast<int>(t)];
}
inline constexpr std::string_view dtype_name(DType t) {
  return dtype_info(t).name;
}

inline std::optional<DType> dtype_from_name(std::string_view name) {
  for (const auto& i : kDTypeTable)
    if (i.name == name) return i.dtype;
  return std::nullopt;
}

inline std::optional<DType> dtype_from_ggml(int64_t ggml_type) {
  if (ggml_type < 0) return std::nullopt;  // -1 in the table means "no ggml id"
  for (const auto& i : kDTypeTable)
    if (i.ggml_type == ggml_type) return i.dtype;
  return std::nullopt;
}

// Bytes taken by `elems` elements, or nullopt when elems is not a whole number of blocks.
inline std::optional<uint64_t> dtype_bytes(DType t, uint64_t elems) {
  const auto& i = dtype_info(t);
  if (elems % i.block_elems != 0) return std::nullopt;
  return elems / i.block_elems * i.block_bytes;
}

}  // namespace tl
