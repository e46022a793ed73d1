// ModuleBuilder: the assembler API the compiler and the tests emit bytecode with.
//
//   ModuleBuilder mb;
//   uint32_t src = mb.source("prog.tl");
//   uint32_t fib = mb.declare_function("fib", /*num_params=*/1);
//   FunctionBuilder& f = mb.function(fib);
//   f.set_source(src); f.at(2, 3);                 // position of the instructions that follow
//   Label done = f.new_label();
//   f.emit(OpCode::CLTI, 0, 2 + kOffsetSC, 0);     // if not (R0 < 2) skip the jump
//   f.jump(OpCode::JMP, 0, done); ...
//   f.bind(done);
//   Module m = mb.finish();                         // runs the verifier; throws FormatError
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "vm/bytecode/builtins.h"
#include "vm/bytecode/module.h"

namespace tl {

struct Label {
  uint32_t id = 0;
};

class FunctionBuilder {
 public:
  FunctionBuilder(std::string name, int num_params);

  // Position (1-based line/col) recorded for every instruction emitted after this call.
  void at(uint32_t line, uint32_t col) { pos_ = {line, col}; }
  void set_source(uint32_t source_index) { proto_.source = source_index; }
  // Frame size; raised automatically to cover every register operand emitted (single
  // operands; for ranges such as CALL arguments the caller must reserve them).
  void reserve_regs(int n);
  // Spill slots: raised to cover every GETSPILL/SETSPILL slot emitted.
  void reserve_spills(int n);

  // Emits one instruction; the operands are the fields of the opcode's format: for iABx the
  // second operand is Bx, for iAsBx it is sBx (signed, unbiased), for iAx it is Ax.
  uint32_t emit(OpCode op, int a = 0, int b = 0, int c = 0);
  uint32_t emit_raw(Instr i);
  // Convenience forms.
  uint32_t call_builtin(int a, Builtin b, int nargs) {
    return emit(OpCode::CALLB, a, static_cast<int>(b), nargs);
  }

  Label new_label();
  void bind(Label l);  // the label's target is the next instruction emitted
  // JMP / FORPREP / FORLOOP to a label (bound earlier or later).
  uint32_t jump(OpCode op, int a, Label target);

  uint32_t pc() const { return static_cast<uint32_t>(proto_.code.size()); }
  Instr& at_pc(uint32_t at) { return proto_.code.at(at); }
  // Deletes the instruction at `at` (a peephole before finish()): later instructions, their
  // positions, bound labels and pending jumps move up by one; a jump from `at` is dropped.
  void remove(uint32_t at);
  Proto finish();  // resolves labels; throws FormatError for an unbound label or far jump

 private:
  Proto proto_;
  SourcePos pos_;
  std::vector<int64_t> labels_;                        // bound pc or -1
  std::vector<std::pair<uint32_t, uint32_t>> fixups_;  // (pc, label)
};

class ModuleBuilder {
 public:
  // Constants are deduplicated; the index is what LOADK/ADDK/... take.
  uint32_t constant(int64_t v);
  uint32_t constant(double v);
  uint32_t constant(std::string_view v);
  uint32_t constant(const char* v) { return constant(std::string_view(v)); }
  uint32_t constant(ShapeConst v);
  uint32_t constant(ElementwiseProgram v);

  uint32_t source(std::string path);  // index of a source file name

  // Functions may be declared before their bodies are emitted (recursion, forward calls).
  uint32_t declare_function(std::string name, int num_params);
  FunctionBuilder& function(uint32_t index) { return fns_.at(index); }
  void set_entry(uint32_t index) { entry_ = index; }
  void set_num_globals(uint32_t n) { num_globals_ = n; }

  // The finished module, verified (throws FormatError naming the problem).
  Module finish();

 private:
  uint32_t add(Constant k);
  std::vector<Constant> constants_;
  std::map<std::pair<int, std::string>, uint32_t> const_index_;
  std::vector<std::string> sources_;
  std::vector<FunctionBuilder> fns_;
  uint32_t entry_ = 0;
  uint32_t num_globals_ = 0;
};

}  // namespace tl
