#include "vm/tensor/backend.h"

#include <fmt/format.h>

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

}  // namespace tl
