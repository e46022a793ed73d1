// The .tlbc file format: writer and reader (the reader verifies; see docs/bytecode.md).
//
// Layout, little-endian:
//   0  magic "TLBC"        4  u16 format version (kTlbcVersion)   6  u16 flags (bit 0: debug info)
//   8  u32 CRC-32 (IEEE) of bytes [12, end)     12 u32 file size    16 u32 section count
//   20 section table: per section u32 id, u32 offset, u32 size
//   sections: 1 constants, 2 functions, 3 code, 4 debug (optional), 5 source file names
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "vm/bytecode/module.h"

namespace tl {

// 2: constant kind 4 (fused element-wise program) and the ELEMWISE opcode.
// 3: print passes `end` as its last argument; TSETSLICE.
// 4: a function's spill slots (the u16 after its register count) and GETSPILL/SETSPILL.
inline constexpr uint16_t kTlbcVersion = 4;

uint32_t crc32(std::span<const uint8_t> data);

std::vector<uint8_t> write_module(const Module& m);
// Parses and verifies. Throws FormatError("at byte N: ...") or the verifier's FormatError.
Module read_module(std::span<const uint8_t> bytes);

// File forms. Errors are FormatError("PATH: error: MESSAGE") (the text to print as is).
Module load_module_file(const std::filesystem::path& path);
void save_module_file(const Module& m, const std::filesystem::path& path);

}  // namespace tl
