// A loaded or freshly built bytecode module: constants, function prototypes, debug info.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "vm/bytecode/opcodes.h"
#include "vm/tensor/elementwise.h"

namespace tl {

// A shape constant: LOADK makes a Shape value of it; CHECKSHAPE matches against it, where a
// dimension of -1 stands for '?'.
struct ShapeConst {
  std::vector<int64_t> dims;
  bool operator==(const ShapeConst&) const = default;
};

// An ElementwiseProgram constant is the fused element-wise chain that ELEMWISE runs.
using Constant = std::variant<int64_t, double, std::string, ShapeConst, ElementwiseProgram>;
enum class ConstKind : uint8_t { Int = 0, Float = 1, String = 2, Shape = 3, Elementwise = 4 };
inline ConstKind const_kind(const Constant& k) {
  return static_cast<ConstKind>(k.index());
}

// Source position of one instruction (1-based; 0 = unknown).
struct SourcePos {
  uint32_t line = 0;
  uint32_t col = 0;
  bool operator==(const SourcePos&) const = default;
};

struct Proto {
  std::string name;         // "<script>" for the top-level code, else the TL function's name
  uint8_t num_params = 0;   // parameters arrive in R[0..num_params-1]
  uint8_t num_regs = 1;     // frame size, >= num_params, >= 1
  uint16_t num_spills = 0;  // spill slots S[0..num_spills-1] (GETSPILL/SETSPILL), none at entry
  uint32_t source = 0;      // index into Module::sources (meaningful when sources is non-empty)
  std::vector<Instr> code;
  std::vector<SourcePos> lines;  // one per instruction, or empty (no debug info)
  bool operator==(const Proto&) const = default;
};

struct Module {
  std::vector<Constant> constants;  // one pool shared by every function
  std::vector<Proto> functions;
  uint32_t entry = 0;                // the function run first (the top-level script)
  uint32_t num_globals = 0;          // slots of GETGLOBAL/SETGLOBAL, none at start
  std::vector<std::string> sources;  // source file names, as given to the compiler
  bool operator==(const Module&) const = default;

  // "file.tl:3:7" for instruction `pc` of function `fn`, or "fn+pc" without debug info.
  std::string position(uint32_t fn, uint32_t pc) const;
};

}  // namespace tl
