// Errors that cross library boundaries on the runtime side.
//
// Layers below the VM (model I/O, backends) throw these with a message only; the VM adds the
// source position and TL stack trace from the bytecode's debug info before printing.
#pragma once

#include <stdexcept>
#include <string>

namespace tl {

// Bad data or a failed operation at run time: a shape mismatch on unknown dims, an index out of
// range, a refused integer tensor. Printed as "FILE:LINE:COL: runtime error: <what()>".
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A model or bytecode file that cannot be read: names the file and, where it helps, the byte
// offset.
class FormatError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

}  // namespace tl
