#include "vm/runtime/builtins_impl.h"

#include <fmt/format.h>

#include <iostream>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "vm/bytecode/builtin_arity.h"
#include "vm/core/error.h"
#include "vm/runtime/model_ops.h"
#include "vm/runtime/print_format.h"
#include "vm/runtime/tensor_ops.h"

namespace tl {
namespace {

Value parse_literal(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s == "none" || s.empty()) return Value();
  if (s == "true") return Value::boolean(true);
  if (s == "false") return Value::boolean(false);
  if (s.front() == '"') return Value::string(decode_default_string(s));
  int64_t i = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
  if (ec == std::errc() && p == s.data() + s.size()) return Value::integer(i);
  double d = 0;
  auto [q, ec2] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec2 == std::errc() && q == s.data() + s.size()) return Value::number(d);
  return Value();
}

const std::string& need_string(const Value& v, const char* what) {
  if (!v.is_string())
    throw RuntimeError(fmt::format("{}: expected a string, got {}", what, tag_name(v.tag())));
  return v.as_string();
}

int64_t need_int(const Value& v, const char* what) {
  if (!v.is_int())
    throw RuntimeError(fmt::format("{}: expected an int, got {}", what, tag_name(v.tag())));
  return v.as_int();
}

double need_number(const Value& v, const char* what) {
  if (!v.is_number())
    throw RuntimeError(fmt::format("{}: expected a number, got {}", what, tag_name(v.tag())));
  return v.as_number();
}

// exp/log/sqrt/abs: element-wise on tensors, also on numbers.
Value math1(Backend* be, UnaryOp op, const Value& x) {
  if (x.is_tensor()) return t_unary(be, op, x);
  if (op == UnaryOp::Abs && x.is_int()) {
    if (x.as_int() == INT64_MIN) throw RuntimeError("integer overflow in abs");
    return Value::integer(std::llabs(x.as_int()));
  }
  double v = need_number(x, std::string(op_name(op)).c_str());
  switch (op) {
    case UnaryOp::Exp:
      return Value::number(std::exp(v));
    case UnaryOp::Log:
      if (v <= 0)
        throw RuntimeError(fmt::format("log of a non-positive number: {}", format_float(v)));
      return Value::number(std::log(v));
    case UnaryOp::Sqrt:
      if (v < 0) throw RuntimeError(fmt::format("sqrt of a negative number: {}", format_float(v)));
      return Value::number(std::sqrt(v));
    case UnaryOp::Abs:
      return Value::number(std::fabs(v));
    default:
      return Value();
  }
}

Value range_list(const Value& a, const Value& b, const Value& c) {
  int64_t start = 0, stop = 0, step = 1;
  if (b.is_none()) {
    stop = need_int(a, "range");
  } else {
    start = need_int(a, "range"), stop = need_int(b, "range");
  }
  if (!c.is_none()) step = need_int(c, "range step");
  if (step == 0) throw RuntimeError("range() step must not be zero");
  std::vector<Value> items;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    items.push_back(Value::integer(i));
    if (items.size() > (1u << 26)) throw RuntimeError("range() too long to build as a list");
  }
  return Value::list(std::move(items));
}

Value length(const Value& x) {
  switch (x.tag()) {
    case ValueTag::String:
      return Value::integer(static_cast<int64_t>(x.as_string().size()));
    case ValueTag::Shape:
      return Value::integer(static_cast<int64_t>(x.as_shape().rank()));
    case ValueTag::List:
      return Value::integer(static_cast<int64_t>(x.as_list().items.size()));
    case ValueTag::Map:
      return Value::integer(static_cast<int64_t>(x.as_map().items.size()));
    case ValueTag::Tensor: {
      const Shape& s = x.as_tensor().shape;
      if (s.rank() == 0) throw RuntimeError("len() of a 0-d tensor");
      return Value::integer(s[0]);
    }
    default:
      throw RuntimeError(fmt::format("len() of a {}", tag_name(x.tag())));
  }
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The number a bool or a one-element tensor stands for in int()/float(); nullopt otherwise.
std::optional<double> number_of(const Value& x) {
  if (x.is_number()) return x.as_number();
  if (x.is_bool()) return x.as_bool() ? 1.0 : 0.0;
  if (x.is_tensor()) return tensor_as_number(x.as_tensor());
  return std::nullopt;
}

Value to_int(const Value& x) {
  if (x.is_int()) return x;
  if (x.is_string()) {
    std::string_view s = trimmed(x.as_string());
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range)
      throw RuntimeError(fmt::format("int: \"{}\" does not fit in 64 bits", x.as_string()));
    if (s.empty() || ec != std::errc() || p != s.data() + s.size())
      throw RuntimeError(fmt::format("int: \"{}\" is not an integer", x.as_string()));
    return Value::integer(v);
  }
  const std::optional<double> d = number_of(x);
  if (!d) throw RuntimeError(fmt::format("int: cannot convert a {} to an int", tag_name(x.tag())));
  if (!std::isfinite(*d) || *d >= 9.2233720368547758e18 || *d < -9.2233720368547758e18)
    throw RuntimeError(fmt::format("int: {} does not fit in an int", format_float(*d)));
  return Value::integer(static_cast<int64_t>(*d));
}

Value to_float(const Value& x) {
  if (x.is_string()) {
    std::string_view s = trimmed(x.as_string());
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || (ec != std::errc() && ec != std::errc::result_out_of_range) ||
        p != s.data() + s.size())
      throw RuntimeError(fmt::format("float: \"{}\" is not a number", x.as_string()));
    return Value::number(v);
  }
  const std::optional<double> d = number_of(x);
  if (!d)
    throw RuntimeError(fmt::format("float: cannot convert a {} to a float", tag_name(x.tag())));
  return Value::number(*d);
}

}  // namespace

Value builtin_default(Builtin b, size_t index) {
  std::string_view sig = builtin_info(b).signature;
  size_t open = sig.find('('), close = sig.find(')');
  std::string_view inner = sig.substr(open + 1, close - open - 1);
  size_t n = 0, start = 0;
  bool in_string = false;
  for (size_t i = 0; i <= inner.size(); ++i) {
    if (i < inner.size() && inner[i] == '"') in_string = !in_string;
    if (i == inner.size() || (inner[i] == ',' && !in_string)) {
      if (n++ == index) {
        std::string_view p = inner.substr(start, i - start);
        size_t eq = p.find('=');
        return eq == std::string_view::npos ? Value() : parse_literal(p.substr(eq + 1));
      }
      start = i + 1;
    }
  }
  return Value();
}

Value call_builtin(Builtin b, BuiltinEnv& env, std::span<const Value> given) {
  const BuiltinArity& ar = builtin_arity(b);
  std::vector<Value> filled;
  std::span<const Value> args = given;
  if (!ar.variadic && given.size() < static_cast<size_t>(ar.params)) {
    filled.assign(given.begin(), given.end());
    for (size_t i = given.size(); i < static_cast<size_t>(ar.params); ++i)
      filled.push_back(builtin_default(b, i));
    args = filled;
  }
  Backend* be = env.backend;
  auto a = [&](size_t i) -> const Value& { return args[i]; };
  switch (b) {
    case Builtin::LoadModel:
      return m_load_model(need_string(a(0), "load_model"), env.base_dir);
    case Builtin::SaveModel:
      m_save_model(a(0), need_string(a(1), "save_model"), env.base_dir);
      return Value();
    case Builtin::GetTensor:
      return m_get_tensor(be, a(0), need_string(a(1), "get_tensor"));
    case Builtin::TensorNames:
      return m_tensor_names(a(0));
    case Builtin::Metadata:
      return m_metadata(a(0), need_string(a(1), "metadata"));
    case Builtin::Tokenize:
      return m_tokenize(a(0), need_string(a(1), "tokenize"), a(2));
    case Builtin::Detokenize:
      return m_detokenize(a(0), a(1));
    case Builtin::Print: {
      // The last two arguments are `end` (none: a newline) and `stderr`; the values come first.
      if (args.size() < 2) throw RuntimeError("print: needs its `end` and `stderr` arguments");
      const std::span<const Value> values = args.first(args.size() - 2);
      const Value& end = args[args.size() - 2];
      std::ostream& out = truthy(args.back()) ? *env.err : *env.out;
      std::string line;
      for (size_t i = 0; i < values.size(); ++i) {
        if (i) line += ' ';
        line += format_value(values[i]);
      }
      const bool newline = end.is_none();
      line += newline ? std::string("\n") : need_string(end, "print end");
      out.write(line.data(), static_cast<std::streamsize>(line.size()));
      if (!newline && line.find('\n') == std::string::npos) out.flush();
      return Value();
    }
    case Builtin::ShapeOf:
      if (!a(0).is_tensor()) need_tensor(a(0), "shape");  // reports the wrong type
      return Value::shape(a(0).as_tensor().shape);
    case Builtin::Reshape:
      return t_reshape(a(0), args.subspan(1));
    case Builtin::Transpose:
      return t_transpose(be, a(0), args.subspan(1));
    case Builtin::Matmul:
      return t_matmul(be, a(0), a(1));
    case Builtin::Linear:
      return t_linear(be, a(0), a(1), a(2));
    case Builtin::Relu:
      return t_unary(be, UnaryOp::Relu, a(0));
    case Builtin::Gelu:
      return t_unary(be, UnaryOp::Gelu, a(0));
    case Builtin::Silu:
      return t_unary(be, UnaryOp::Silu, a(0));
    case Builtin::Sigmoid:
      return t_unary(be, UnaryOp::Sigmoid, a(0));
    case Builtin::Tanh:
      return t_unary(be, UnaryOp::Tanh, a(0));
    case Builtin::Exp:
      return math1(be, UnaryOp::Exp, a(0));
    case Builtin::Log:
      return math1(be, UnaryOp::Log, a(0));
    case Builtin::Sqrt:
      return math1(be, UnaryOp::Sqrt, a(0));
    case Builtin::Abs:
      return math1(be, UnaryOp::Abs, a(0));
    case Builtin::Softmax:
      return t_softmax(be, a(0), need_int(a(1), "softmax dim"));
    case Builtin::Sum:
      return t_reduce(be, ReduceOp::Sum, a(0), a(1), a(2));
    case Builtin::Mean:
      return t_reduce(be, ReduceOp::Mean, a(0), a(1), a(2));
    case Builtin::Max:
      return t_reduce(be, ReduceOp::Max, a(0), a(1), a(2));
    case Builtin::Min:
      return t_reduce(be, ReduceOp::Min, a(0), a(1), a(2));
    case Builtin::ArgMax:
      return t_arg_reduce(be, ArgOp::ArgMax, a(0), a(1));
    case Builtin::RmsNorm:
      return t_rms_norm(be, a(0), a(1), a(2));
    case Builtin::LayerNorm:
      return t_layer_norm(be, a(0), a(1), a(2), a(3));
    case Builtin::Concat:
      return t_concat(be, args.first(args.size() - 1), args.back());
    case Builtin::Zeros:
      return t_full(be, args, 0.f, "zeros");
    case Builtin::Ones:
      return t_full(be, args, 1.f, "ones");
    case Builtin::Range:
      return range_list(a(0), a(1), a(2));
    case Builtin::Len:
      return length(a(0));
    case Builtin::Assert:
      if (!truthy(a(0)))
        throw RuntimeError(a(1).is_string() ? a(1).as_string() : "assertion failed");
      return Value();
    case Builtin::AssertClose:
      t_assert_close(a(0), a(1), need_number(a(2), "assert_close rtol"),
                     need_number(a(3), "assert_close atol"));
      return Value();
    case Builtin::TensorNew:
      if (a(1).is_string() && a(1).as_string() == "gpu" && be && be->name() == "cpu" &&
          !env.gpu_notice_given) {
        env.gpu_notice_given = true;
        std::cerr << "note: `device: gpu` runs on the CPU backend: no GPU is in use (pass "
                     "--device vulkan to force Vulkan)\n";
      }
      if (a(1).is_string() && a(1).as_string() != "gpu" && a(1).as_string() != "cpu")
        throw RuntimeError(
            fmt::format("unknown device '{}': expected gpu or cpu", a(1).as_string()));
      return t_from_data(be, a(0));
    case Builtin::Maximum:
      return t_binary(be, BinaryOp::Maximum, a(0), a(1));
    case Builtin::Minimum:
      return t_binary(be, BinaryOp::Minimum, a(0), a(1));
    case Builtin::Args: {
      std::vector<Value> items;
      for (const std::string& s : env.program_args) items.push_back(Value::string(s));
      return Value::list(std::move(items));
    }
    case Builtin::Env: {
      const char* v = std::getenv(need_string(a(0), "env").c_str());
      return v ? Value::string(v) : a(1);
    }
    case Builtin::Int:
      return to_int(a(0));
    case Builtin::Float:
      return to_float(a(0));
    case Builtin::Str:
      return a(0).is_string() ? a(0) : Value::string(format_value(a(0)));
    case Builtin::Clock:
      return Value::number(
          std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
              .count());
    case Builtin::ArgMin:
      return t_arg_reduce(be, ArgOp::ArgMin, a(0), a(1));
    case Builtin::Embedding:
      return t_embedding(be, a(0), a(1));
    case Builtin::Rope:
      return t_rope(be, a(0), a(1), a(2), a(3));
    case Builtin::Attention:
      return t_attention(be, a(0), a(1), a(2), a(3), a(4));
    case Builtin::CausalMask:
      return t_causal_mask(be, a(0), a(1));
    case Builtin::TemperatureSample:
      return t_temperature_sample(be, env.random, a(0), a(1), a(2), a(3), a(4));
  }
  throw RuntimeError(fmt::format("builtin {} is not implemented", static_cast<int>(b)));
}

}  // namespace tl
