// Unary op codes: the order of TL_UNARY_OPS in vm/tensor/backend.h (the host passes the enum).
float erf_approx(float x) {
  // Abramowitz & Stegun 7.1.26, |error| < 1.5e-7: far below f16 resolution.
  const float t = 1.0 / (1.0 + 0.3275911 * abs(x));
  const float y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t -
                          0.284496736) * t + 0.254829592) * t * exp(-x * x);
  return sign(x) * y;
}
float unary_op(uint op, float x) {
  switch (op) {
    case 0u: return -x;                                              // neg
    case 1u: return max(x, 0.0);                                     // relu
    case 2u: return 0.5 * x * (1.0 + erf_approx(x * 0.70710678118)); // gelu (erf form, as torch)
    case 3u: return x / (1.0 + exp(-x));                             // silu
    case 4u: return 1.0 / (1.0 + exp(-x));                           // sigmoid
    case 5u: return tanh(clamp(x, -15.0, 15.0));                     // tanh (exp overflow guard)
    case 6u: return exp(x);
    case 7u: return x < 0.0 ? (0.0 / 0.0) : (x == 0.0 ? -kInf : log(x));
    case 8u: return x < 0.0 ? (0.0 / 0.0) : sqrt(x);
    case 9u: return abs(x);
  }
  return x;
}
