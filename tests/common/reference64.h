// float64 references of the element-wise ops, shared by every backend's tests (CPU, Vulkan):
// one definition of what each op means, computed in double precision.
#pragma once

#include <algorithm>
#include <cmath>

#include "vm/tensor/backend.h"

namespace tl::test {

// GELU as builtins.def defines it: the tanh approximation (PyTorch's approximate='tanh').
inline double gelu64(double x) {
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

inline double unary64(UnaryOp op, double x) {
  switch (op) {
    case UnaryOp::Neg:
      return -x;
    case UnaryOp::Relu:
      return x < 0 ? 0.0 : x;
    case UnaryOp::Gelu:
      return gelu64(x);
    case UnaryOp::Silu:
      return x / (1.0 + std::exp(-x));
    case UnaryOp::Sigmoid:
      return 1.0 / (1.0 + std::exp(-x));
    case UnaryOp::Tanh:
      return std::tanh(x);
    case UnaryOp::Exp:
      return std::exp(x);
    case UnaryOp::Log:
      return std::log(x);
    case UnaryOp::Sqrt:
      return std::sqrt(x);
    case UnaryOp::Abs:
      return std::fabs(x);
    case UnaryOp::GeluErf:  // PyTorch's default gelu: x * Phi(x)
      return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
  }
  return NAN;
}

// % is floored (the sign of the divisor), as Python and NumPy.
inline double binary64(BinaryOp op, double a, double b) {
  switch (op) {
    case BinaryOp::Add:
      return a + b;
    case BinaryOp::Sub:
      return a - b;
    case BinaryOp::Mul:
      return a * b;
    case BinaryOp::Div:
      return a / b;
    case BinaryOp::Mod: {
      if (b == 0) return NAN;
      double r = std::fmod(a, b);
      if (r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    }
    case BinaryOp::Pow:
      return std::pow(a, b);
    case BinaryOp::Maximum:
      return std::max(a, b);
    case BinaryOp::Minimum:
      return std::min(a, b);
    case BinaryOp::Lt:
      return a < b ? 1.0 : 0.0;
    case BinaryOp::Le:
      return a <= b ? 1.0 : 0.0;
    case BinaryOp::Gt:
      return a > b ? 1.0 : 0.0;
    case BinaryOp::Ge:
      return a >= b ? 1.0 : 0.0;
    case BinaryOp::Eq:
      return a == b ? 1.0 : 0.0;
    case BinaryOp::Ne:
      return a != b ? 1.0 : 0.0;
    case BinaryOp::KeepWhere:
      return a != 0 ? b : 0.0;
    case BinaryOp::KeepWhereNot:
      return a == 0 ? b : 0.0;
    case BinaryOp::FloorDiv:
      // floor jumps at integers: divide in f32 as the kernels do, so that both sides floor the
      // same quotient.
      return std::floor(static_cast<double>(static_cast<float>(a) / static_cast<float>(b)));
  }
  return NAN;
}

}  // namespace tl::test
