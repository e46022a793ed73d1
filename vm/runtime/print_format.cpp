#include "vm/runtime/print_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "vm/core/error.h"
#include "vm/core/half.h"
#include "vm/runtime/model_ops.h"
#include "vm/tensor/backend.h"

namespace tl {

std::string format_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // "-1.2345e+02"
  size_t e = sci.find('e');
  int exp = std::stoi(sci.substr(e + 1));
  std::string mant = sci.substr(0, e);
  bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  std::string out;
  if (exp >= -5 && exp < 16) {
    if (exp < 0) {
      out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
      out = digits + std::string(static_cast<size_t>(exp) + 1 - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, static_cast<size_t>(exp) + 1) + "." +
            digits.substr(static_cast<size_t>(exp) + 1);
    }
    // Python switches to scientific below 1e-4.
    if (exp < -4) out.clear();
  }
  if (out.empty()) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += fmt::format("e{}{:02d}", exp < 0 ? '-' : '+', std::abs(exp));
  }
  return neg ? "-" + out : out;
}

std::string format_element(float v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  std::string s = fmt::format("{:.4f}", static_cast<double>(v));
  while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  if (s == "-0.0") s = "0.0";
  return s;
}

namespace {

constexpr int64_t kSummaryThreshold = 1000;
constexpr int64_t kEdgeItems = 3;

void tensor_rec(std::string& out, const Shape& shape, const std::vector<int64_t>& strides,
                std::span<const float> v, size_t dim, int64_t offset, bool summarize) {
  if (dim == shape.rank()) {
    out += format_element(v[static_cast<size_t>(offset)]);
    return;
  }
  out += '[';
  int64_t n = shape[dim];
  bool cut = summarize && n > 2 * kEdgeItems;
  for (int64_t i = 0; i < n; ++i) {
    if (cut && i == kEdgeItems) {
      out += "..., ";
      i = n - kEdgeItems;
    }
    tensor_rec(out, shape, strides, v, dim + 1, offset + i * strides[dim], summarize);
    if (i + 1 < n) out += ", ";
  }
  out += ']';
}

}  // namespace

std::string format_tensor(const Shape& shape, std::span<const float> values) {
  std::string out;
  tensor_rec(out, shape, shape.strides(), values, 0, 0, shape.numel() > kSummaryThreshold);
  return out;
}

namespace {

// Lists and maps being printed, outermost first: one that contains itself prints as `[...]` (or
// `{...}`), as Python prints it; nesting past kMaxPrintDepth is an error, not a stack overflow.
constexpr size_t kMaxPrintDepth = 1000;

std::string format_nested(const Value& v, bool quote_strings, std::vector<const void*>& open) {
  switch (v.tag()) {
    case ValueTag::None:
      return "none";
    case ValueTag::Int:
      return fmt::format("{}", v.as_int());
    case ValueTag::Float:
      return format_float(v.as_float());
    case ValueTag::Bool:
      return v.as_bool() ? "true" : "false";
    case ValueTag::Function:
      return fmt::format("<function {}>", v.as_function());
    case ValueTag::String: {
      if (!quote_strings) return v.as_string();
      std::string s = "\"";
      for (char c : v.as_string()) {
        if (c == '"' || c == '\\') s += '\\';
        if (c == '\n') {
          s += "\\n";
          continue;
        }
        s += c;
      }
      return s + "\"";
    }
    case ValueTag::Shape:
      return v.as_shape().to_string();
    case ValueTag::Tensor: {
      const Tensor& t = v.as_tensor();
      std::vector<f16_bits> bits(static_cast<size_t>(t.numel()));
      t.backend->download(t, bits);
      std::vector<float> f(bits.size());
      for (size_t i = 0; i < bits.size(); ++i) f[i] = f16_to_f32(bits[i]);
      return format_tensor(t.shape, f);
    }
    case ValueTag::Model:
      return m_summary(v.as_model());
    case ValueTag::List: {
      const void* self = &v.as_list();
      if (std::find(open.begin(), open.end(), self) != open.end()) return "[...]";
      if (open.size() >= kMaxPrintDepth)
        throw RuntimeError(fmt::format("print: lists nested more than {} deep", kMaxPrintDepth));
      open.push_back(self);
      std::string s = "[";
      const auto& items = v.as_list().items;
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) s += ", ";
        s += format_nested(items[i], true, open);
      }
      open.pop_back();
      return s + "]";
    }
    case ValueTag::Map: {
      const void* self = &v.as_map();
      if (std::find(open.begin(), open.end(), self) != open.end()) return "{...}";
      if (open.size() >= kMaxPrintDepth)
        throw RuntimeError(fmt::format("print: maps nested more than {} deep", kMaxPrintDepth));
      open.push_back(self);
      std::string s = "{";
      const auto& items = v.as_map().items;
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) s += ", ";
        s += format_nested(items[i].first, true, open);
        s += ": ";
        s += format_nested(items[i].second, true, open);
      }
      open.pop_back();
      return s + "}";
    }
  }
  return "?";
}

}  // namespace

std::string format_value(const Value& v, bool quote_strings) {
  std::vector<const void*> open;
  return format_nested(v, quote_strings, open);
}

}  // namespace tl
