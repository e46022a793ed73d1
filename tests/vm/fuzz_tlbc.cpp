// libFuzzer: any byte string either loads as a verified module (which disassembles and then runs
// under step and memory budgets, ending in output or a VmError) or is rejected with FormatError.
// Anything else (a crash, a sanitizer report, another exception) is a bug. Seeds:
// tests/vm/corpus/*.tlbc (golden run cases compiled by `tl compile`; fused.tlbc holds fused
// element-wise programs). Regenerate them when the format version changes.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <vector>

#include "vm/bytecode/disasm.h"
#include "vm/bytecode/tlbc_file.h"
#include "vm/core/error.h"
#include "vm/cpu/cpu_backend.h"
#include "vm/runtime/interp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Fix the checksum up so that mutations reach the parser and the verifier (a CRC mismatch is
  // already the first check).
  std::vector<uint8_t> bytes(data, data + size);
  if (bytes.size() >= 16) {
    uint32_t crc = tl::crc32(std::span<const uint8_t>(bytes).subspan(12));
    for (int i = 0; i < 4; ++i) bytes[8 + i] = static_cast<uint8_t>(crc >> (8 * i));
  }
  tl::Module m;
  try {
    m = tl::read_module(bytes);
    std::ostringstream out;
    tl::disassemble(m, out);
  } catch (const tl::FormatError&) {
    return 0;
  }
  // A verified module runs: the verifier is the interpreter's only guard. Budgets bound the
  // loops and calls it makes and the tensor memory it takes, so any module ends.
  tl::CpuBackend cpu{tl::CpuOptions{.threads = 1, .allocation_budget = uint64_t{64} << 20}};
  std::ostringstream out;
  tl::VmOptions opts;
  opts.backend = &cpu;
  opts.out = &out;
  opts.max_call_depth = 200;
  opts.step_budget = 20000;
  opts.base_dir = "/nonexistent";  // no model file is read
  try {
    tl::Vm vm(m, opts);
    vm.run();
  } catch (const tl::VmError&) {
  }
  return 0;
}
