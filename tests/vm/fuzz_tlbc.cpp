// libFuzzer: any byte string either loads as a verified module (and disassembles) or is
// rejected with FormatError. Anything else (a crash, a sanitizer report, another exception) is a
// bug. Seeds: tests/vm/corpus/*.tlbc (golden run cases compiled by `tl compile`; fused.tlbc holds
// fused element-wise programs). Regenerate them when the format version changes.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <vector>

#include "vm/bytecode/disasm.h"
#include "vm/bytecode/tlbc_file.h"
#include "vm/core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Fix the checksum up so that mutations reach the parser and the verifier (a CRC mismatch is
  // already the first check).
  std::vector<uint8_t> bytes(data, data + size);
  if (bytes.size() >= 16) {
    uint32_t crc = tl::crc32(std::span<const uint8_t>(bytes).subspan(12));
    for (int i = 0; i < 4; ++i) bytes[8 + i] = static_cast<uint8_t>(crc >> (8 * i));
  }
  try {
    tl::Module m = tl::read_module(bytes);
    std::ostringstream out;
    tl::disassemble(m, out);
  } catch (const tl::FormatError&) {
  }
  return 0;
}
