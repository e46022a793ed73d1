#include "vm/runtime/scalar_ops.h"

#include <fmt/format.h>

#include <cmath>

#include "vm/core/error.h"
#include "vm/runtime/tensor_ops.h"

namespace tl {

const char* arith_symbol(ArithOp op) {
  static constexpr const char* s[] = {"+", "-", "*", "/", "%", "**"};
  return s[static_cast<int>(op)];
}

namespace {

[[noreturn]] void unsupported(ArithOp op, const Value& a, const Value& b) {
  throw RuntimeError(fmt::format("unsupported operand types for {}: {} and {}", arith_symbol(op),
                                 tag_name(a.tag()), tag_name(b.tag())));
}
[[noreturn]] void overflow(ArithOp op) {
  throw RuntimeError(fmt::format("integer overflow in {}", arith_symbol(op)));
}

Value int_arith(ArithOp op, int64_t x, int64_t y) {
  int64_t r = 0;
  switch (op) {
    case ArithOp::Add:
      if (__builtin_add_overflow(x, y, &r)) overflow(op);
      return Value::integer(r);
    case ArithOp::Sub:
      if (__builtin_sub_overflow(x, y, &r)) overflow(op);
      return Value::integer(r);
    case ArithOp::Mul:
      if (__builtin_mul_overflow(x, y, &r)) overflow(op);
      return Value::integer(r);
    case ArithOp::Div:
      if (y == 0) throw RuntimeError("division by zero");
      return Value::number(static_cast<double>(x) / static_cast<double>(y));
    case ArithOp::Mod: {
      if (y == 0) throw RuntimeError("integer modulo by zero");
      if (y == -1) return Value::integer(0);
      int64_t m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      return Value::integer(m);
    }
    case ArithOp::Pow: {
      if (y < 0) return Value::number(std::pow(static_cast<double>(x), static_cast<double>(y)));
      int64_t result = 1, base = x;
      while (y > 0) {
        if (y & 1)
          if (__builtin_mul_overflow(result, base, &result)) overflow(op);
        y >>= 1;
        if (y > 0 && __builtin_mul_overflow(base, base, &base)) overflow(op);
      }
      return Value::integer(result);
    }
  }
  return Value();
}

Value float_arith(ArithOp op, double x, double y) {
  switch (op) {
    case ArithOp::Add:
      return Value::number(x + y);
    case ArithOp::Sub:
      return Value::number(x - y);
    case ArithOp::Mul:
      return Value::number(x * y);
    case ArithOp::Div:
      if (y == 0) throw RuntimeError("float division by zero");
      return Value::number(x / y);
    case ArithOp::Mod: {
      if (y == 0) throw RuntimeError("float modulo by zero");
      double m = std::fmod(x, y);
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      return Value::number(m);
    }
    case ArithOp::Pow:
      if (x == 0 && y < 0) throw RuntimeError("0.0 cannot be raised to a negative power");
      return Value::number(std::pow(x, y));
  }
  return Value();
}

}  // namespace

Value arith(ArithOp op, const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) return int_arith(op, a.as_int(), b.as_int());
  if (a.is_number() && b.is_number()) return float_arith(op, a.as_number(), b.as_number());
  if (op == ArithOp::Add && a.is_string() && b.is_string())
    return Value::string(a.as_string() + b.as_string());
  if (op == ArithOp::Add && a.tag() == ValueTag::List && b.tag() == ValueTag::List) {
    std::vector<Value> items = a.as_list().items;
    const auto& more = b.as_list().items;
    items.insert(items.end(), more.begin(), more.end());
    return Value::list(std::move(items));
  }
  if (a.is_tensor() || b.is_tensor())
    throw RuntimeError(fmt::format(
        "internal: scalar {} applied to a Tensor (the compiler must emit a tensor opcode)",
        arith_symbol(op)));
  unsupported(op, a, b);
}

Value negate(const Value& a) {
  if (a.is_int()) {
    if (a.as_int() == INT64_MIN) throw RuntimeError("integer overflow in unary -");
    return Value::integer(-a.as_int());
  }
  if (a.is_float()) return Value::number(-a.as_float());
  throw RuntimeError(fmt::format("unsupported operand type for unary -: {}", tag_name(a.tag())));
}

bool less_than(const Value& a, const Value& b, bool or_equal) {
  if (a.is_tensor() || b.is_tensor()) {
    auto number = [](const Value& v) {
      return v.is_tensor() ? Value::number(tensor_as_number(v.as_tensor())) : v;
    };
    return less_than(number(a), number(b), or_equal);
  }
  if (a.is_int() && b.is_int())
    return or_equal ? a.as_int() <= b.as_int() : a.as_int() < b.as_int();
  if (a.is_number() && b.is_number())
    return or_equal ? a.as_number() <= b.as_number() : a.as_number() < b.as_number();
  if (a.is_string() && b.is_string())
    return or_equal ? a.as_string() <= b.as_string() : a.as_string() < b.as_string();
  throw RuntimeError(fmt::format("cannot compare {} and {} with {}", tag_name(a.tag()),
                                 tag_name(b.tag()), or_equal ? "<=" : "<"));
}

bool compare_equal(const Value& a, const Value& b) {
  const bool numeric = (a.is_tensor() || a.is_number()) && (b.is_tensor() || b.is_number());
  if (numeric && (a.is_tensor() || b.is_tensor())) {
    auto number = [](const Value& v) {
      return v.is_tensor() ? tensor_as_number(v.as_tensor()) : v.as_number();
    };
    return number(a) == number(b);
  }
  return values_equal(a, b);
}

}  // namespace tl
