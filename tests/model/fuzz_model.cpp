// libFuzzer target for the model header parsers: TL_FUZZ_FORMAT 1 = safetensors, 2 = GGUF.
// Any input must parse or throw ModelFileError; anything else (a crash, a sanitizer report, another
// exception, a huge allocation) is a bug. The tensors of a file that parses are dequantized too,
// to run the block decoders over arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "vm/model/dequant.h"
#include "vm/model/formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
#if TL_FUZZ_FORMAT == 1
    tl::ModelHeader h = tl::parse_safetensors("fuzz.safetensors", bytes);
#else
    tl::ModelHeader h = tl::parse_gguf("fuzz.gguf", bytes);
#endif
    std::vector<float> out;
    for (const auto& t : h.tensors) {
      if (t.offset > size || t.nbytes > size - t.offset) __builtin_trap();  // bounds were validated
      (void)h.closest_names(t.name);
      const auto& di = tl::dtype_info(t.dtype);
      if (di.kind != tl::DTypeKind::Float && di.kind != tl::DTypeKind::Quant) continue;
      const uint64_t elems = t.nbytes / di.block_bytes * di.block_elems;
      out.resize(elems);
      tl::dequantize_row(t.dtype, bytes.data() + t.offset, out.data(), static_cast<int64_t>(elems));
    }
  } catch (const tl::ModelFileError&) {
  }
  return 0;
}
