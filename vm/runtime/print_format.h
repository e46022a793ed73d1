// How values print (the rules are in docs/runtime.md, section "print").
#pragma once

#include <span>
#include <string>

#include "vm/runtime/value.h"

namespace tl {

class Backend;

// Python repr of a float: shortest round-trip digits; fixed notation for 1e-4 <= |x| < 1e16
// (always with a '.': 2.0), else scientific with a sign and at least two exponent digits
// (1e-05, 1e+16); inf, -inf, nan.
std::string format_float(double v);
// One tensor element: rounded to 4 decimals, trailing zeros dropped but one digit kept after
// the point (2.2109, 0.5, 3.0); "-0.0" prints as "0.0"; inf, -inf, nan.
std::string format_element(float v);
// Nested lists on one line; past 1000 elements, the first and last 3 entries of every dim with
// "..." between (NumPy's summary). A 0-d tensor prints as its element.
std::string format_tensor(const Shape& shape, std::span<const float> values);
// print's text for one argument: strings raw; inside lists and maps strings are quoted.
// Tensors are downloaded through their backend.
std::string format_value(const Value& v, bool quote_strings = false);

}  // namespace tl
