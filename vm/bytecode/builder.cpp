#include "vm/bytecode/builder.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

#include "vm/bytecode/verifier.h"
#include "vm/core/error.h"

namespace tl {

FunctionBuilder::FunctionBuilder(std::string name, int num_params) {
  if (num_params < 0 || num_params > kMaxA)
    throw FormatError("function '" + name + "': too many parameters");
  proto_.name = std::move(name);
  proto_.num_params = static_cast<uint8_t>(num_params);
  proto_.num_regs = static_cast<uint8_t>(std::max(1, num_params));
}

void FunctionBuilder::reserve_regs(int n) {
  if (n > 256) throw FormatError("function '" + proto_.name + "': more than 256 registers");
  if (n > proto_.num_regs) proto_.num_regs = static_cast<uint8_t>(std::min(n, 255));
}

void FunctionBuilder::reserve_spills(int n) {
  if (n > kMaxBx)
    throw FormatError(fmt::format("function '{}': more than {} spill slots", proto_.name, kMaxBx));
  if (n > proto_.num_spills) proto_.num_spills = static_cast<uint16_t>(n);
}

uint32_t FunctionBuilder::emit_raw(Instr i) {
  proto_.code.push_back(i);
  proto_.lines.push_back(pos_);
  return pc() - 1;
}

uint32_t FunctionBuilder::emit(OpCode op, int a, int b, int c) {
  const OpInfo& info = op_info(op);
  auto range = [&](int v, int lo, int hi, const char* field) {
    if (v < lo || v > hi)
      throw FormatError("function '" + proto_.name + "': operand " + field + " of " +
                        std::string(info.name) + " out of range: " + std::to_string(v));
  };
  Instr ins = 0;
  switch (info.format) {
    case OpFormat::iABC:
      range(a, 0, kMaxA, "A"), range(b, 0, kMaxB, "B"), range(c, 0, kMaxC, "C");
      ins = make_abc(op, a, b, c);
      break;
    case OpFormat::iABx:
      range(a, 0, kMaxA, "A"), range(b, 0, kMaxBx, "Bx");
      ins = make_abx(op, a, b);
      break;
    case OpFormat::iAsBx:
      range(a, 0, kMaxA, "A"), range(b, -kOffsetSBx, kMaxBx - kOffsetSBx, "sBx");
      ins = make_asbx(op, a, b);
      break;
    case OpFormat::iAx:
      range(a, 0, kMaxAx, "Ax");
      ins = make_ax(op, a);
      break;
  }
  if (info.a == OperandKind::R) reserve_regs(a + 1);
  if (info.b == OperandKind::L) reserve_spills(b + 1);
  if (info.format == OpFormat::iABC) {
    if (info.b == OperandKind::R) reserve_regs(b + 1);
    if (info.c == OperandKind::R) reserve_regs(c + 1);
  }
  return emit_raw(ins);
}

Label FunctionBuilder::new_label() {
  labels_.push_back(-1);
  return Label{static_cast<uint32_t>(labels_.size() - 1)};
}

void FunctionBuilder::bind(Label l) {
  labels_.at(l.id) = pc();
}

void FunctionBuilder::remove(uint32_t at) {
  proto_.code.erase(proto_.code.begin() + at);
  proto_.lines.erase(proto_.lines.begin() + at);
  for (int64_t& l : labels_)
    if (l > static_cast<int64_t>(at)) --l;
  std::erase_if(fixups_, [&](const auto& f) { return f.first == at; });
  for (auto& f : fixups_)
    if (f.first > at) --f.first;
}

uint32_t FunctionBuilder::jump(OpCode op, int a, Label target) {
  uint32_t at = emit(op, a, 0);
  fixups_.emplace_back(at, target.id);
  return at;
}

Proto FunctionBuilder::finish() {
  for (auto [at, label] : fixups_) {
    int64_t target = labels_.at(label);
    if (target < 0) throw FormatError("function '" + proto_.name + "': jump to an unbound label");
    int64_t off = target - (static_cast<int64_t>(at) + 1);
    if (off < -kOffsetSBx || off > kMaxBx - kOffsetSBx)
      throw FormatError("function '" + proto_.name + "': jump too far");
    Instr& ins = proto_.code[at];
    ins = make_asbx(get_op(ins), get_a(ins), static_cast<int>(off));
  }
  fixups_.clear();
  return proto_;
}

uint32_t ModuleBuilder::add(Constant k) {
  std::string key;
  switch (const_kind(k)) {
    case ConstKind::Int: {
      int64_t v = std::get<int64_t>(k);
      key.assign(reinterpret_cast<const char*>(&v), sizeof v);
      break;
    }
    case ConstKind::Float: {
      uint64_t v = std::bit_cast<uint64_t>(std::get<double>(k));
      key.assign(reinterpret_cast<const char*>(&v), sizeof v);
      break;
    }
    case ConstKind::String:
      key = std::get<std::string>(k);
      break;
    case ConstKind::Shape:
      for (int64_t d : std::get<ShapeConst>(k).dims)
        key.append(reinterpret_cast<const char*>(&d), sizeof d);
      break;
    case ConstKind::Elementwise: {
      const auto& p = std::get<ElementwiseProgram>(k);
      for (auto in : p.inputs) key.push_back(static_cast<char>(in));
      key.push_back('|');
      for (const auto& s : p.steps) {
        const uint8_t bytes[6] = {static_cast<uint8_t>(s.kind), s.op,
                                  static_cast<uint8_t>(s.a),    static_cast<uint8_t>(s.a >> 8),
                                  static_cast<uint8_t>(s.b),    static_cast<uint8_t>(s.b >> 8)};
        key.append(reinterpret_cast<const char*>(bytes), sizeof bytes);
      }
      break;
    }
  }
  auto [it, fresh] =
      const_index_.try_emplace({static_cast<int>(k.index()), key}, constants_.size());
  if (fresh && constants_.size() > static_cast<size_t>(kMaxBx)) {
    const_index_.erase(it);
    throw FormatError(fmt::format(
        "more than {} distinct constants (numbers, strings, shapes) in one program", kMaxBx + 1));
  }
  if (fresh) constants_.push_back(std::move(k));
  return it->second;
}

uint32_t ModuleBuilder::constant(int64_t v) {
  return add(Constant(v));
}
uint32_t ModuleBuilder::constant(double v) {
  return add(Constant(v));
}
uint32_t ModuleBuilder::constant(std::string_view v) {
  return add(Constant(std::string(v)));
}
uint32_t ModuleBuilder::constant(ShapeConst v) {
  return add(Constant(std::move(v)));
}
uint32_t ModuleBuilder::constant(ElementwiseProgram v) {
  return add(Constant(std::move(v)));
}

uint32_t ModuleBuilder::source(std::string path) {
  for (size_t i = 0; i < sources_.size(); ++i)
    if (sources_[i] == path) return static_cast<uint32_t>(i);
  sources_.push_back(std::move(path));
  return static_cast<uint32_t>(sources_.size() - 1);
}

uint32_t ModuleBuilder::declare_function(std::string name, int num_params) {
  fns_.emplace_back(std::move(name), num_params);
  return static_cast<uint32_t>(fns_.size() - 1);
}

Module ModuleBuilder::finish() {
  Module m;
  m.constants = constants_;
  m.sources = sources_;
  m.entry = entry_;
  m.num_globals = num_globals_;
  for (auto& f : fns_) m.functions.push_back(f.finish());
  verify_module(m);
  return m;
}

}  // namespace tl
