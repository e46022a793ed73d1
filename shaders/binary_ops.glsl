// Binary op codes: the order of TL_BINARY_OPS in vm/tensor/backend.h. NumPy/Python semantics:
// % is the floored modulo (sign of the divisor), ** follows pow() for negative bases.
float pow_np(float a, float b) {
  if (b == 0.0) return 1.0;
  if (a == 0.0) return b > 0.0 ? 0.0 : kInf;
  if (a < 0.0) {
    if (floor(b) != b) return 0.0 / 0.0;
    const float m = pow(-a, b);
    return mod(b, 2.0) == 1.0 ? -m : m;
  }
  return pow(a, b);
}
float binary_op(uint op, float a, float b) {
  switch (op) {
    case 0u: return a + b;
    case 1u: return a - b;
    case 2u: return a * b;
    case 3u: return a / b;
    case 4u: {
      if (b == 0.0) return 0.0 / 0.0;
      float r = a - b * floor(a / b);
      return (r != 0.0 && ((r < 0.0) != (b < 0.0))) ? r + b : r;
    }
    case 5u: return pow_np(a, b);
    case 6u: return (isnan(a) || isnan(b)) ? (0.0 / 0.0) : max(a, b);
    case 7u: return (isnan(a) || isnan(b)) ? (0.0 / 0.0) : min(a, b);
    case 8u: return a < b ? 1.0 : 0.0;
    case 9u: return a <= b ? 1.0 : 0.0;
    case 10u: return a > b ? 1.0 : 0.0;
    case 11u: return a >= b ? 1.0 : 0.0;
    case 12u: return a == b ? 1.0 : 0.0;
    case 13u: return a != b ? 1.0 : 0.0;
    case 14u: return a != 0.0 ? b : 0.0;  // keep_where
    case 15u: return a == 0.0 ? b : 0.0;  // keep_where_not
    case 16u: return floor(a / b);
  }
  return a;
}
