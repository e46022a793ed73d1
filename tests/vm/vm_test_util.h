// Helpers for VM tests: run a module and capture print output and the error text.
#pragma once

#include <sstream>
#include <string>

#include "vm/bytecode/builder.h"
#include "vm/runtime/interp.h"

namespace tl::test {

struct RunResult {
  std::string out;    // what print wrote
  std::string error;  // VmError::what(), empty on success
  Value result;       // what the entry function returned
};

inline RunResult run_module(const Module& m, Backend* backend = nullptr,
                            uint32_t max_depth = 10000) {
  std::ostringstream out;
  VmOptions opts;
  opts.backend = backend;
  opts.out = &out;
  opts.max_call_depth = max_depth;
  RunResult r;
  try {
    Vm vm(m, opts);
    r.result = vm.run();
  } catch (const VmError& e) {
    r.error = e.what();
  }
  r.out = out.str();
  return r;
}

// A script function (entry, no parameters) of `regs` registers; the caller emits its body.
struct Script {
  ModuleBuilder mb;
  uint32_t main;
  explicit Script(int regs = 8) : main(mb.declare_function("<script>", 0)) {
    mb.set_entry(main);
    f().reserve_regs(regs);
  }
  FunctionBuilder& f() { return mb.function(main); }
  // print(R[first..first+n-1]) using R[scratch..] as the call window.
  void print(std::initializer_list<int> regs, int scratch) {
    int k = 1;
    for (int r : regs) f().emit(OpCode::MOVE, scratch + k++, r);
    f().emit(OpCode::LOADNONE, scratch + k, 0);      // end (none: a newline)
    f().emit(OpCode::LOADNONE, scratch + k + 1, 0);  // stderr (none: false)
    f().call_builtin(scratch, Builtin::Print, static_cast<int>(regs.size()) + 2);
  }
  Module finish() {
    f().emit(OpCode::RETURN, 0, 0);
    return mb.finish();
  }
};

}  // namespace tl::test
