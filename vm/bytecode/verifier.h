// The bytecode verifier: runs on every module the VM loads (and on ModuleBuilder::finish), so
// that the interpreter can trust operands without checking them on the hot path.
#pragma once

#include "vm/bytecode/module.h"

namespace tl {

// Throws FormatError("invalid bytecode: function 'NAME' pc N (OP): ...") for the first problem.
// Checks: at least one function and a valid entry; frame sizes (num_params <= num_regs,
// 1 <= num_regs); non-empty code ending in RETURN or JMP; line table size; source index; every
// opcode known; every register operand (and register range) < frame size; jump targets inside
// the function; skip instructions not at the end; constant indices valid and of the right kind;
// function indices valid; builtin ids valid with an argument count in the builtin's arity range;
// CALL's arguments inside the frame; unary/reduce op indices valid.
void verify_module(const Module& m);

}  // namespace tl
