#include "vm/tensor/elementwise.h"

#include <fmt/format.h>

#include <variant>

#include "vm/core/error.h"

namespace tl {
namespace {

std::string operand_text(const ElementwiseProgram& p, size_t v) {
  if (v < p.num_inputs())
    return fmt::format("x{}{}", v,
                       p.inputs[v] == ElementwiseProgram::InputKind::Scalar ? ":f32" : "");
  return fmt::format("%{}", v - p.num_inputs());
}

}  // namespace

std::string validate(const ElementwiseProgram& p) {
  using IK = ElementwiseProgram::InputKind;
  if (p.inputs.empty() || p.inputs.size() > kMaxElementwiseInputs)
    return fmt::format("{} inputs (1 to {} allowed)", p.inputs.size(), kMaxElementwiseInputs);
  if (p.steps.empty() || p.steps.size() > kMaxElementwiseSteps)
    return fmt::format("{} steps (1 to {} allowed)", p.steps.size(), kMaxElementwiseSteps);
  bool any_tensor = false;
  for (size_t i = 0; i < p.inputs.size(); ++i) {
    if (p.inputs[i] != IK::Tensor && p.inputs[i] != IK::Scalar)
      return fmt::format("input {} has unknown kind {}", i, static_cast<int>(p.inputs[i]));
    any_tensor |= p.inputs[i] == IK::Tensor;
  }
  if (!any_tensor) return "no tensor input";
  for (size_t k = 0; k < p.steps.size(); ++k) {
    const auto& s = p.steps[k];
    const size_t visible = p.inputs.size() + k;  // operands step k may use
    auto bad_operand = [&](uint16_t v) {
      return fmt::format(
          "step {} uses operand {}, which is neither an input nor an earlier step "
          "({} visible)",
          k, v, visible);
    };
    switch (s.kind) {
      case ElementwiseProgram::StepKind::Unary:
        if (s.op >= kUnaryOpCount) return fmt::format("step {}: unary op {} out of range", k, s.op);
        if (s.a >= visible) return bad_operand(s.a);
        if (s.b != 0) return fmt::format("step {}: a unary step has a second operand", k);
        if (!p.is_tensor(s.a)) return fmt::format("step {}: unary op of a scalar", k);
        break;
      case ElementwiseProgram::StepKind::Binary:
        if (s.op >= kBinaryOpCount)
          return fmt::format("step {}: binary op {} out of range", k, s.op);
        if (s.a >= visible) return bad_operand(s.a);
        if (s.b >= visible) return bad_operand(s.b);
        if (!p.is_tensor(s.a) && !p.is_tensor(s.b))
          return fmt::format("step {}: binary op of two scalars", k);
        break;
      default:
        return fmt::format("step {} has unknown kind {}", k, static_cast<int>(s.kind));
    }
  }
  // Every input and every step but the last feeds a later step, so that every operand's shape
  // broadcasts to the result's (a backend can then index all of them from the output's index).
  std::vector<bool> used(p.inputs.size() + p.steps.size(), false);
  for (const auto& s : p.steps) {
    used[s.a] = true;
    if (s.kind == ElementwiseProgram::StepKind::Binary) used[s.b] = true;
  }
  for (size_t v = 0; v + 1 < used.size(); ++v)
    if (!used[v])
      return v < p.inputs.size()
                 ? fmt::format("input {} is never used", v)
                 : fmt::format("the result of step {} is never used", v - p.inputs.size());
  return "";
}

std::string to_string(const ElementwiseProgram& p) {
  std::string out;
  for (size_t k = 0; k < p.steps.size(); ++k) {
    const auto& s = p.steps[k];
    if (k) out += "; ";
    out += fmt::format("%{} = ", k);
    if (s.kind == ElementwiseProgram::StepKind::Unary) {
      const auto op = p.unary_op(s);
      out += op == UnaryOp::Neg ? fmt::format("-{}", operand_text(p, s.a))
                                : fmt::format("{}({})", op_name(op), operand_text(p, s.a));
    } else {
      const auto op = p.binary_op(s);
      const bool fn = op == BinaryOp::Maximum || op == BinaryOp::Minimum;
      out += fn ? fmt::format("{}({}, {})", op_name(op), operand_text(p, s.a), operand_text(p, s.b))
                : fmt::format("{} {} {}", operand_text(p, s.a), op_name(op), operand_text(p, s.b));
    }
  }
  return out;
}

Shape elementwise_shape(const ElementwiseProgram& p, std::span<const ElementwiseArg> args) {
  if (args.size() != p.num_inputs())
    throw RuntimeError(fmt::format("fused element-wise op: {} arguments for a program of {} inputs",
                                   args.size(), p.num_inputs()));
  // Shapes of the tensor-valued operands; scalars have none.
  std::vector<std::variant<std::monostate, Shape>> shapes;
  shapes.reserve(p.num_inputs() + p.steps.size());
  for (size_t i = 0; i < args.size(); ++i) {
    const bool tensor = p.inputs[i] == ElementwiseProgram::InputKind::Tensor;
    if (tensor != static_cast<bool>(args[i].tensor.buffer))
      throw RuntimeError(fmt::format("fused element-wise op: argument {} must be a {}", i,
                                     tensor ? "tensor" : "scalar"));
    if (tensor)
      shapes.emplace_back(args[i].tensor.shape);
    else
      shapes.emplace_back(std::monostate{});
  }
  for (const auto& s : p.steps) {
    if (s.kind == ElementwiseProgram::StepKind::Unary) {
      shapes.push_back(shapes[s.a]);
      continue;
    }
    const auto* sa = std::get_if<Shape>(&shapes[s.a]);
    const auto* sb = std::get_if<Shape>(&shapes[s.b]);
    if (sa && sb)
      shapes.emplace_back(broadcast_shapes(*sa, *sb, op_name(p.binary_op(s)).data()));
    else
      shapes.emplace_back(sa ? *sa : *sb);
  }
  return std::get<Shape>(shapes.back());
}

}  // namespace tl
