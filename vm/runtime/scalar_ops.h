// Scalar arithmetic and comparison with Python's semantics (the interpreter inlines the
// int/int and float/float fast paths and calls these for everything else).
#pragma once

#include "vm/runtime/value.h"

namespace tl {

enum class ArithOp : uint8_t { Add, Sub, Mul, Div, Mod, Pow };
const char* arith_symbol(ArithOp op);

// int op int -> int (overflow is an error; / is true division -> float; ** with a negative
// exponent -> float); a float operand makes a float; string + string concatenates; % is floored;
// division or modulo by zero is an error. Anything else: "unsupported operand types".
Value arith(ArithOp op, const Value& a, const Value& b);
Value negate(const Value& a);
// < and <= on numbers (int/float mixed) and strings; otherwise an error.
// Numbers, strings; a one-element tensor compares as its number (max(x) > 0).
bool less_than(const Value& a, const Value& b, bool or_equal);
// `==`: values_equal, except that a one-element tensor against a number or another tensor
// compares by value (a bigger tensor there is an error).
bool compare_equal(const Value& a, const Value& b);

}  // namespace tl
