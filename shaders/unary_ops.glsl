// Unary op codes: the order of TL_UNARY_OPS in vm/tensor/backend.h (the host passes the enum).
float unary_op(uint op, float x) {
  switch (op) {
    case 0u: return -x;                                              // neg
    case 1u: return x < 0.0 ? 0.0 : x;  // relu (NaN passes through, as PyTorch)
    case 2u: {  // gelu, PyTorch approximate='tanh' (the CPU backend's definition)
      const float inner = 0.7978845608028654 * (x + 0.044715 * x * x * x);
      return 0.5 * x * (1.0 + tanh(clamp(inner, -15.0, 15.0)));
    }
    case 3u: return x / (1.0 + exp(-x));                             // silu
    case 4u: return 1.0 / (1.0 + exp(-x));                           // sigmoid
    case 5u: return tanh(clamp(x, -15.0, 15.0));                     // tanh (exp overflow guard)
    case 6u: return exp(x);
    case 7u: return x < 0.0 ? (0.0 / 0.0) : (x == 0.0 ? -kInf : log(x));
    case 8u: return x < 0.0 ? (0.0 / 0.0) : sqrt(x);
    case 9u: return abs(x);
    case 10u: {  // gelu_erf: x * Phi(x) = x/2 * erfc(-x/sqrt(2))
      // erfc(|z|) by Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7), computed directly so that the
      // negative side does not cancel.
      const float z = abs(x) * 0.7071067811865476;
      const float t = 1.0 / (1.0 + 0.3275911 * z);
      const float poly =
          t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
      const float c = poly * exp(-z * z);
      return 0.5 * x * (x < 0.0 ? c : 2.0 - c);
    }
  }
  return x;
}
