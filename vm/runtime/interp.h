// The register VM: runs a verified Module.
//
// Calling convention (see docs/runtime.md): a call's callee register window starts right after
// the register holding the callee/result, so arguments are in the callee's R[0..n-1]; the
// result replaces the caller's R[A].
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "vm/bytecode/module.h"
#include "vm/runtime/const_divisor.h"
#include "vm/runtime/register_stack.h"
#include "vm/runtime/value.h"

namespace tl {

class Backend;

struct VmOptions {
  Backend* backend = nullptr;       // tensor opcodes call it; null: they report no backend
  std::ostream* out = nullptr;      // print's destination; null: std::cout
  std::ostream* err = nullptr;      // print(..., stderr: true)'s; null: std::cerr
  uint32_t max_call_depth = 10000;  // deeper recursion is a run-time error
  // Backward jumps, loop iterations and calls one execute() may make (0: no limit), so that a
  // fuzzer can run any program: straight-line code between them is bounded by its length.
  uint64_t step_budget = 0;
  std::filesystem::path base_dir;  // relative model paths; empty: the entry's source directory
  std::vector<std::string> program_args;  // args(): the words after the program's file
  // Count the instructions executed (Vm::instructions_executed; `tl run --stats`). Off, the
  // dispatch loop is the one without the counter.
  bool count_instructions = false;
};

// A run-time error with its position and TL stack trace, formatted as the VM prints it:
//   FILE:LINE:COL: runtime error: MESSAGE
//     at fn (FILE:LINE:COL)      innermost first, the script last
// Where the innermost frame of a run-time error stopped; line 0 when the bytecode has no debug
// info.
struct VmErrorLocation {
  std::string file;
  uint32_t line = 0, column = 0;
};

class VmError : public std::runtime_error {
 public:
  using Location = VmErrorLocation;
  VmError(std::string text, std::string message, Location where = {}, std::string trace = {})
      : std::runtime_error(std::move(text)),
        message_(std::move(message)),
        where_(std::move(where)),
        trace_(std::move(trace)) {}
  const std::string& message() const { return message_; }
  const Location& where() const { return where_; }
  const std::string& trace() const { return trace_; }  // the "\n  at ..." lines of what()

 private:
  std::string message_;
  Location where_;
  std::string trace_;
};

class Vm {
 public:
  // `m` must be verified (read_module and ModuleBuilder::finish do it) and outlive the Vm.
  Vm(const Module& m, VmOptions opts);
  ~Vm();
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;

  // Runs the entry function; returns its value. Throws VmError.
  Value run();
  // Calls function `fn` with `args` (count must match its parameters). Throws VmError.
  Value call(uint32_t fn, std::span<const Value> args);
  // Instructions executed so far, with VmOptions::count_instructions (else 0).
  uint64_t instructions_executed() const { return instructions_; }

 private:
  struct Frame;
  Value execute(size_t first_frame);
  template <bool kCount, bool kBudget>
  Value execute_loop(size_t first_frame);
  [[noreturn]] void raise(const std::string& message, size_t first_frame);
  // The spill slots of a frame (GETSPILL/SETSPILL): one segment per running frame that has
  // any, stacked in call order, so the innermost frame's are the top num_spills values. Values
  // above the top are none: a segment is cleared when its frame ends.
  void push_spills(const Proto& p);
  void pop_spills(const Proto& p);

  const Module& m_;
  VmOptions opts_;
  std::vector<Value> constants_;        // the pool materialised once
  std::vector<ConstDivisor> divisors_;  // per constant: MODK's reciprocal, where it has one
  std::vector<Value> globals_;          // GETGLOBAL/SETGLOBAL slots
  RegisterStack stack_;
  RegisterStack spills_;
  size_t spill_top_ = 0;  // values of spills_ in use
  std::vector<Frame> frames_;
  uint64_t instructions_ = 0;
  struct Env;
  std::unique_ptr<Env> env_;
};

// What `tl run --stats` and `tlvm --stats` print on stderr at the end of a run (also after a
// run-time error): "stats: N instructions executed".
std::string stats_line(const Vm& vm);

}  // namespace tl
