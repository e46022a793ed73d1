// The instruction set, generated from opcodes.def, and the 32-bit instruction encoding.
//
// Layout (little end first): bits 0-7 opcode, 8-15 A, 16-23 B, 24-31 C; Bx = bits 16-31;
// Ax = bits 8-31. sBx is stored excess-32767 and sB/sC excess-127, as Lua 5.4 does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tl {

using Instr = uint32_t;

enum class OpCode : uint8_t {
#define TL_OPCODE(name, fmt, ka, kb, kc, doc) name,
#include "vm/bytecode/opcodes.def"
#undef TL_OPCODE
};

enum class OpFormat : uint8_t { iABC, iABx, iAsBx, iAx };
// What an operand field holds; see the legend in opcodes.def.
enum class OperandKind : uint8_t { _, R, K, S, P, F, X, J, U, D, I, G, E, L };

struct OpInfo {
  OpCode op;
  std::string_view name;
  OpFormat format;
  OperandKind a, b, c;
  std::string_view doc;
};

inline constexpr OpInfo kOpTable[] = {
#define TL_OPCODE(name, fmt, ka, kb, kc, doc) \
  {OpCode::name, #name, OpFormat::fmt, OperandKind::ka, OperandKind::kb, OperandKind::kc, doc},
#include "vm/bytecode/opcodes.def"
#undef TL_OPCODE
};

inline constexpr size_t kOpCount = std::size(kOpTable);

inline constexpr const OpInfo& op_info(OpCode op) {
  return kOpTable[static_cast<size_t>(op)];
}
std::string_view format_name(OpFormat f);
std::optional<OpCode> opcode_by_name(std::string_view name);

inline constexpr int kMaxA = 255, kMaxB = 255, kMaxC = 255;
inline constexpr int kMaxBx = 65535;
inline constexpr int kOffsetSBx = 32767;  // sBx in [-32767, 32768]
inline constexpr int kOffsetSC = 127;     // sB/sC in [-127, 128]
inline constexpr int kMaxAx = (1 << 24) - 1;

inline constexpr OpCode get_op(Instr i) {
  return static_cast<OpCode>(i & 0xff);
}
inline constexpr int get_a(Instr i) {
  return (i >> 8) & 0xff;
}
inline constexpr int get_b(Instr i) {
  return (i >> 16) & 0xff;
}
inline constexpr int get_c(Instr i) {
  return (i >> 24) & 0xff;
}
inline constexpr int get_sb(Instr i) {
  return get_b(i) - kOffsetSC;
}
inline constexpr int get_sc(Instr i) {
  return get_c(i) - kOffsetSC;
}
inline constexpr int get_bx(Instr i) {
  return (i >> 16) & 0xffff;
}
inline constexpr int get_sbx(Instr i) {
  return get_bx(i) - kOffsetSBx;
}
inline constexpr int get_ax(Instr i) {
  return (i >> 8) & 0xffffff;
}

inline constexpr Instr make_abc(OpCode op, int a, int b, int c) {
  return static_cast<Instr>(op) | (static_cast<Instr>(a & 0xff) << 8) |
         (static_cast<Instr>(b & 0xff) << 16) | (static_cast<Instr>(c & 0xff) << 24);
}
inline constexpr Instr make_abx(OpCode op, int a, int bx) {
  return static_cast<Instr>(op) | (static_cast<Instr>(a & 0xff) << 8) |
         (static_cast<Instr>(bx & 0xffff) << 16);
}
inline constexpr Instr make_asbx(OpCode op, int a, int sbx) {
  return make_abx(op, a, sbx + kOffsetSBx);
}
inline constexpr Instr make_ax(OpCode op, int ax) {
  return static_cast<Instr>(op) | (static_cast<Instr>(ax & 0xffffff) << 8);
}

}  // namespace tl
