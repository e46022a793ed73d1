// Implementations of the builtin table (vm/bytecode/builtins.def), dispatched by Builtin id.
#pragma once

#include <filesystem>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "vm/bytecode/builtins.h"
#include "vm/runtime/sampling.h"
#include "vm/runtime/value.h"

namespace tl {

class Backend;

struct BuiltinEnv {
  Backend* backend = nullptr;      // null: tensor builtins report that no backend is available
  std::ostream* out = nullptr;     // print's destination
  std::ostream* err = nullptr;     // print(..., stderr: true)'s
  std::filesystem::path base_dir;  // relative model paths resolve against it first
  // `device: gpu` on a backend that is not an accelerator: the program runs on, and says so once.
  bool gpu_notice_given = false;
  std::vector<std::string> program_args;  // what args() returns
  // temperature_sample's generator: one per run, reseeded by its `seed:` argument.
  RunRandom random;
};

// args: as CALLB passes them (arity already verified). Missing trailing optional arguments take
// the default written in builtins.def.
Value call_builtin(Builtin b, BuiltinEnv& env, std::span<const Value> args);
// The default of parameter `index` of `b` parsed from its signature (none when it has none).
Value builtin_default(Builtin b, size_t index);

}  // namespace tl
