#include "vm/bytecode/verifier.h"

#include <fmt/format.h>

#include "vm/bytecode/builtin_arity.h"
#include "vm/core/error.h"
#include "vm/tensor/backend.h"

namespace tl {
namespace {

class Verifier {
 public:
  explicit Verifier(const Module& m) : m_(m) {}

  void run() {
    if (m_.functions.empty()) fail_module("no functions");
    if (m_.entry >= m_.functions.size())
      fail_module(fmt::format("entry function {} out of range ({} functions)", m_.entry,
                              m_.functions.size()));
    if (m_.functions[m_.entry].num_params != 0)
      fail_module("the entry function must take no parameters");
    // Every count the interpreter allocates by is bounded by what an instruction can address.
    if (m_.num_globals > static_cast<uint32_t>(kMaxBx) + 1)
      fail_module(
          fmt::format("{} globals: at most {} can be addressed", m_.num_globals, kMaxBx + 1));
    for (size_t k = 0; k < m_.constants.size(); ++k)
      if (const auto* p = std::get_if<ElementwiseProgram>(&m_.constants[k]))
        if (std::string why = validate(*p); !why.empty())
          fail_module(fmt::format("constant {}: malformed fused element-wise program: {}", k, why));
    for (size_t f = 0; f < m_.functions.size(); ++f) function(static_cast<uint32_t>(f));
  }

 private:
  [[noreturn]] void fail_module(const std::string& msg) {
    throw FormatError("invalid bytecode: " + msg);
  }
  [[noreturn]] void fail(const std::string& msg) {
    const Proto& p = m_.functions[fn_];
    if (pc_ < p.code.size() && static_cast<size_t>(get_op(p.code[pc_])) < kOpCount)
      throw FormatError(fmt::format("invalid bytecode: function '{}' pc {} ({}): {}", p.name, pc_,
                                    op_info(get_op(p.code[pc_])).name, msg));
    throw FormatError(fmt::format("invalid bytecode: function '{}' pc {}: {}", p.name, pc_, msg));
  }

  void function(uint32_t f) {
    fn_ = f;
    pc_ = 0;
    const Proto& p = m_.functions[f];
    auto whole = [&](const std::string& msg) {
      throw FormatError(fmt::format("invalid bytecode: function '{}': {}", p.name, msg));
    };
    if (p.num_regs < 1) whole("frame size 0");
    if (p.num_params > p.num_regs)
      whole(fmt::format("{} parameters but only {} registers", p.num_params, p.num_regs));
    if (p.code.empty()) whole("no code");
    if (!p.lines.empty() && p.lines.size() != p.code.size())
      whole(fmt::format("line table has {} entries for {} instructions", p.lines.size(),
                        p.code.size()));
    if (!m_.sources.empty() && p.source >= m_.sources.size())
      whole(
          fmt::format("source file index {} out of range ({} files)", p.source, m_.sources.size()));
    for (pc_ = 0; pc_ < p.code.size(); ++pc_) instruction(p, p.code[pc_]);
    pc_ = static_cast<uint32_t>(p.code.size() - 1);
    OpCode last = get_op(p.code.back());
    if (last != OpCode::RETURN && last != OpCode::JMP)
      fail("the function can run past its last instruction (must end in RETURN or JMP)");
  }

  void reg(const Proto& p, int r, const char* what) {
    if (r >= p.num_regs)
      fail(fmt::format("register {} ({}) out of range: the frame has {} registers", r, what,
                       p.num_regs));
  }
  void reg_range(const Proto& p, int first, int count, const char* what) {
    if (count > 0) reg(p, first + count - 1, what);
  }
  void constant(int k, const char* what) {
    if (static_cast<size_t>(k) >= m_.constants.size())
      fail(fmt::format("constant index {} ({}) out of range: the pool has {} constants", k, what,
                       m_.constants.size()));
  }
  void jump(const Proto& p, int offset) {
    int64_t target = static_cast<int64_t>(pc_) + 1 + offset;
    if (target < 0 || target >= static_cast<int64_t>(p.code.size()))
      fail(fmt::format("jump target {} outside the function (0..{})", target, p.code.size() - 1));
  }
  void skip(const Proto& p) {
    if (pc_ + 2 >= p.code.size()) fail("conditional skip past the end of the function");
  }

  void operand(const Proto& p, OperandKind kind, int v, const char* field) {
    switch (kind) {
      case OperandKind::R:
        reg(p, v, field);
        break;
      case OperandKind::K:
        constant(v, field);
        break;
      case OperandKind::S:
        constant(v, field);
        if (const_kind(m_.constants[v]) != ConstKind::String)
          fail(fmt::format("constant {} must be a string", v));
        break;
      case OperandKind::P:
        constant(v, field);
        if (const_kind(m_.constants[v]) != ConstKind::Shape)
          fail(fmt::format("constant {} must be a shape", v));
        break;
      case OperandKind::E:
        constant(v, field);
        if (const_kind(m_.constants[v]) != ConstKind::Elementwise)
          fail(fmt::format("constant {} must be a fused element-wise program", v));
        break;
      case OperandKind::F:
        if (static_cast<size_t>(v) >= m_.functions.size())
          fail(
              fmt::format("function index {} out of range ({} functions)", v, m_.functions.size()));
        break;
      case OperandKind::X:
        if (static_cast<size_t>(v) >= kBuiltinCount)
          fail(fmt::format("builtin id {} out of range ({} builtins)", v, kBuiltinCount));
        break;
      case OperandKind::G:
        if (static_cast<uint32_t>(v) >= m_.num_globals)
          fail(fmt::format("global slot {} out of range ({} globals)", v, m_.num_globals));
        break;
      case OperandKind::L:
        if (v >= p.num_spills)
          fail(fmt::format("spill slot {} ({}) out of range: the frame has {} spill slots", v,
                           field, p.num_spills));
        break;
      case OperandKind::J:
        jump(p, v);
        break;
      case OperandKind::U:
        if (v >= kUnaryOpCount) fail(fmt::format("unary op {} out of range", v));
        break;
      case OperandKind::D:
        if (v >= kReduceOpCount) fail(fmt::format("reduce op {} out of range", v));
        break;
      case OperandKind::I:
      case OperandKind::_:
        break;
    }
  }

  void instruction(const Proto& p, Instr i) {
    if (static_cast<size_t>(get_op(i)) >= kOpCount)
      fail(fmt::format("unknown opcode {}", static_cast<int>(get_op(i))));
    const OpInfo& info = op_info(get_op(i));
    int a = get_a(i), b = get_b(i), c = get_c(i);
    switch (info.format) {
      case OpFormat::iABC:
        operand(p, info.a, a, "A"), operand(p, info.b, b, "B"), operand(p, info.c, c, "C");
        break;
      case OpFormat::iABx:
        operand(p, info.a, a, "A"), operand(p, info.b, get_bx(i), "Bx");
        break;
      case OpFormat::iAsBx:
        operand(p, info.a, a, "A"), operand(p, info.b, get_sbx(i), "sBx");
        break;
      case OpFormat::iAx:
        break;
    }
    switch (info.op) {
      case OpCode::LOADK:
        if (const_kind(m_.constants[get_bx(i)]) == ConstKind::Elementwise)
          fail(fmt::format("constant {} is a fused element-wise program, not a value", get_bx(i)));
        break;
      case OpCode::ELEMWISE:
        reg_range(p, a,
                  1 + static_cast<int>(
                          std::get<ElementwiseProgram>(m_.constants[get_bx(i)]).num_inputs()),
                  "result, inputs");
        break;
      case OpCode::LOADBOOL:
        if (c != 0) skip(p);
        break;
      case OpCode::LOADNONE:
        reg_range(p, a, b + 1, "A..A+B");
        break;
      case OpCode::ADDK:
      case OpCode::SUBK:
      case OpCode::MULK:
      case OpCode::DIVK:
      case OpCode::MODK:
      case OpCode::POWK: {
        ConstKind k = const_kind(m_.constants[c]);
        if (k != ConstKind::Int && k != ConstKind::Float)
          fail(fmt::format("constant {} must be a number", c));
        break;
      }
      case OpCode::TEST:
      case OpCode::TESTSET:
      case OpCode::CLT:
      case OpCode::CLE:
      case OpCode::CEQ:
      case OpCode::CLTI:
      case OpCode::CLEI:
      case OpCode::CGTI:
      case OpCode::CGEI:
      case OpCode::CEQI:
        skip(p);
        break;
      case OpCode::FORPREP:
      case OpCode::FORLOOP:
        reg_range(p, a, 4, "loop registers");
        break;
      case OpCode::CALL:
        reg_range(p, a, 1 + m_.functions[get_bx(i)].num_params, "call arguments");
        break;
      case OpCode::CALLR:
        reg_range(p, a, 1 + b, "call arguments");
        break;
      case OpCode::CALLB: {
        const BuiltinArity& ar = builtin_arity(static_cast<Builtin>(b));
        if (c < ar.min || c > ar.max)
          fail(fmt::format("builtin '{}' called with {} arguments; it takes {}",
                           builtin_info(static_cast<Builtin>(b)).name, c,
                           ar.variadic        ? fmt::format("at least {}", ar.min)
                           : ar.min == ar.max ? fmt::format("{}", ar.min)
                                              : fmt::format("{} to {}", ar.min, ar.max)));
        reg_range(p, a, 1 + c, "builtin arguments");
        break;
      }
      case OpCode::RETURN:
        if (b > 1) fail("RETURN returns 0 or 1 values");
        break;
      case OpCode::NEWLIST:
        reg_range(p, b, c, "list items");
        break;
      case OpCode::NEWMAP:
        reg_range(p, b, 2 * c, "map items");
        break;
      case OpCode::LINEAR:
        reg_range(p, c, 2, "weight, bias");
        break;
      case OpCode::TREDUCE:
        reg_range(p, b, 3, "x, dim, keepdim");
        break;
      case OpCode::RMSNORM:
        reg_range(p, b, 3, "x, weight, eps");
        break;
      case OpCode::LAYERNORM:
        reg_range(p, b, 4, "x, weight, bias, eps");
        break;
      case OpCode::RESHAPE:
      case OpCode::TRANSPOSE:
        reg_range(p, b, 1 + c, "operands");
        break;
      case OpCode::TSLICE:
        reg_range(p, b, 1 + 3 * c, "slice operands");
        break;
      case OpCode::TSETSLICE:
        reg_range(p, b, 3 * c + 1, "slice operands, value");
        break;
      case OpCode::TCONCAT:
        if (c < 1) fail("concat of no tensors");
        reg_range(p, b, c + 1, "tensors, dim");
        break;
      default:
        break;
    }
  }

  const Module& m_;
  uint32_t fn_ = 0;
  uint32_t pc_ = 0;
};

}  // namespace

void verify_module(const Module& m) {
  Verifier(m).run();
}

}  // namespace tl
