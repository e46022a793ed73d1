// A fused element-wise chain: a small straight-line program of unary and binary ops over its
// inputs (tensors, broadcast to one output shape, or f32 scalars), evaluated as one Backend call.
//
//   gelu(x * s + b)   inputs: x (tensor), s (scalar), b (tensor)
//                     steps:  %3 = x * s;  %4 = %3 + b;  %5 = gelu(%4)   (result: the last step)
//
// Operand numbering: 0 .. inputs-1 are the inputs, inputs + k is step k. A step may use only the
// inputs and earlier steps, so the program is a DAG evaluated in order. Every step yields a
// tensor: a unary step takes a tensor-valued operand, a binary step at least one.
//
// Semantics (see docs/cpu-backend.md): the value is that of running the steps one by one through
// Backend::unary / binary / binary_scalar, broadcasting as they do, except that a backend may
// keep the intermediate values in f32 and round only the result to f16. A fused result is
// therefore at least as accurate as the stepwise one and may differ from it in the last f16 ulp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vm/tensor/backend.h"

namespace tl {

struct ElementwiseProgram {
  enum class InputKind : uint8_t { Tensor = 0, Scalar = 1 };
  enum class StepKind : uint8_t { Unary = 0, Binary = 1 };
  struct Step {
    StepKind kind = StepKind::Unary;
    uint8_t op = 0;  // a UnaryOp or BinaryOp, by kind
    uint16_t a = 0;  // operands (see the numbering above); b is unused by a unary step
    uint16_t b = 0;
    bool operator==(const Step&) const = default;
  };

  std::vector<InputKind> inputs;
  std::vector<Step> steps;
  bool operator==(const ElementwiseProgram&) const = default;

  size_t num_inputs() const { return inputs.size(); }
  // True when operand `v` is a tensor (an input of kind Tensor, or any step).
  bool is_tensor(size_t v) const { return v >= inputs.size() || inputs[v] == InputKind::Tensor; }
  UnaryOp unary_op(const Step& s) const { return static_cast<UnaryOp>(s.op); }
  BinaryOp binary_op(const Step& s) const { return static_cast<BinaryOp>(s.op); }
};

// Bounds that keep every program cheap to run and to validate (a VM register window, too).
inline constexpr size_t kMaxElementwiseInputs = 64;
inline constexpr size_t kMaxElementwiseSteps = 256;

// The problem with `p`, or "" when it is well formed: at least one tensor input and one step,
// within the bounds above, known ops, operands that refer to inputs or earlier steps, and a
// tensor operand in every step. Callers turn the text into their own error (FormatError in the
// bytecode verifier, RuntimeError in a backend).
std::string validate(const ElementwiseProgram& p);

// "x0 * x1; gelu(%0 + x2)"-style one-line text for disassembly and error messages: inputs are
// x0.., scalars s-marked ("x1:f32"), steps %0...
std::string to_string(const ElementwiseProgram& p);

// One argument of Backend::elementwise: a tensor, or (for a Scalar input) an f32 value.
struct ElementwiseArg {
  Tensor tensor;       // set for a Tensor input
  float scalar = 0.f;  // a Scalar input's value
  static ElementwiseArg of(Tensor t) { return {std::move(t), 0.f}; }
  static ElementwiseArg of(float s) { return {Tensor{}, s}; }
};

// The broadcast output shape of `p` over `args` (checked against the program's input kinds),
// computed step by step so that a mismatch throws the same RuntimeError as the stepwise
// evaluation would, naming the step's operator.
Shape elementwise_shape(const ElementwiseProgram& p, std::span<const ElementwiseArg> args);

}  // namespace tl
