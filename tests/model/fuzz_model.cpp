// libFuzzer target for the model header parsers: TL_FUZZ_FORMAT 1 = safetensors, 2 = GGUF.
// Any input must parse or throw ModelFileError; anything else (a crash, a sanitizer report, another
// exception, a huge allocation) is a bug. Tensors that parse are also converted, to exercise the
// dequantizers on arbitrary blocks.
#include <cstddef>
#include <cstdint>
#include <span>

#include "vm/model/formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
#if TL_FUZZ_FORMAT == 1
    tl::ModelHeader h = tl::parse_safetensors("fuzz.safetensors", bytes);
#else
    tl::ModelHeader h = tl::parse_gguf("fuzz.gguf", bytes);
#endif
    for (const auto& t : h.tensors) {
      if (t.offset > size || t.nbytes > size - t.offset) __builtin_trap();  // validated bounds
      (void)h.closest_names(t.name);
    }
  } catch (const tl::ModelFileError&) {
  }
  return 0;
}
