#include "vm/tensor/backend.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "vm/core/error.h"
#include "vm/tensor/elementwise.h"

namespace tl {

std::string_view op_name(UnaryOp op) {
  switch (op) {
#define X(e, s)    \
  case UnaryOp::e: \
    return s;
    TL_UNARY_OPS(X)
#undef X
  }
  return "?";
}

std::string_view op_name(BinaryOp op) {
  switch (op) {
#define X(e, s)     \
  case BinaryOp::e: \
    return s;
    TL_BINARY_OPS(X)
#undef X
  }
  return "?";
}

std::string_view op_name(ReduceOp op) {
  switch (op) {
#define X(e, s)     \
  case ReduceOp::e: \
    return s;
    TL_REDUCE_OPS(X)
#undef X
  }
  return "?";
}

std::string_view op_name(ArgOp op) {
  switch (op) {
#define X(e, s)  \
  case ArgOp::e: \
    return s;
    TL_ARG_OPS(X)
#undef X
  }
  return "?";
}

Tensor Backend::elementwise(const ElementwiseProgram& p, std::span<const ElementwiseArg> args) {
  if (std::string why = validate(p); !why.empty())
    throw RuntimeError("malformed fused element-wise program: " + why);
  elementwise_shape(p, args);  // argument kinds, and broadcast errors before any work
  std::vector<ElementwiseArg> values(args.begin(), args.end());
  values.reserve(args.size() + p.steps.size());
  for (const auto& s : p.steps) {
    const ElementwiseArg& a = values[s.a];
    if (s.kind == ElementwiseProgram::StepKind::Unary) {
      values.push_back(ElementwiseArg::of(unary(p.unary_op(s), a.tensor)));
      continue;
    }
    const ElementwiseArg& b = values[s.b];
    const BinaryOp op = p.binary_op(s);
    Tensor r;
    if (p.is_tensor(s.a) && p.is_tensor(s.b))
      r = binary(op, a.tensor, b.tensor);
    else if (p.is_tensor(s.a))
      r = binary_scalar(op, a.tensor, b.scalar, false);
    else
      r = binary_scalar(op, b.tensor, a.scalar, true);
    values.push_back(ElementwiseArg::of(std::move(r)));
  }
  return values.back().tensor;
}

std::vector<int64_t> slice_region(const Shape& s, std::span<const SliceAxis> axes, const char* op) {
  if (axes.size() != s.rank())
    throw RuntimeError(fmt::format("{}: {} axes given for a tensor of rank {} (shape {})", op,
                                   axes.size(), s.rank(), s.to_string()));
  std::vector<int64_t> dims(s.rank());
  for (size_t i = 0; i < s.rank(); ++i) {
    const SliceAxis& a = axes[i];
    if (a.step < 1)
      throw RuntimeError(
          fmt::format("{}: step must be >= 1, got {} on dimension {}", op, a.step, i));
    if (a.start < 0 || a.start > s[i] || a.stop < 0 || a.stop > s[i])
      throw RuntimeError(fmt::format("{}: {}:{} is out of range for dimension {} of size {}", op,
                                     a.start, a.stop, i, s[i]));
    dims[i] = a.stop > a.start ? 1 + (a.stop - a.start - 1) / a.step : 0;  // no overflow
  }
  return dims;
}

void check_assign_source(const Shape& src, std::span<const int64_t> region) {
  bool ok = src.rank() == region.size();
  for (size_t i = 0; ok && i < region.size(); ++i) ok = src[i] == region[i] || src[i] == 1;
  if (!ok)
    throw RuntimeError(fmt::format("cannot assign a tensor of shape {} to a slice of shape [{}]",
                                   src.to_string(), fmt::join(region, ", ")));
}

}  // namespace tl
