// How `tl run` and `tlvm` print a run-time error.
#pragma once

#include <string>

#include "vm/runtime/interp.h"

namespace tl {

// Plain (`terminal` false: logs, pipes, tests): exactly VmError::what(),
//   FILE:LINE:COL: runtime error: MESSAGE
//     at fn (FILE:LINE:COL) ...
// On a terminal: the same in colour, with the source line and a caret under the column when the
// source file can still be read (the compile-time diagnostics' layout), then the trace.
std::string format_runtime_error(const VmError& e, bool terminal);

}  // namespace tl
