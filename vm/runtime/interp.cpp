// The interpreter loop (computed goto, one label per opcode of opcodes.def, as Lua's
// ljumptab.h). Operands are trusted: the verifier has checked them. Scalar fast paths are inline;
// everything else goes through scalar_ops, tensor_ops and the builtins.
#include "vm/runtime/interp.h"

#include <fmt/format.h>

#include <iostream>
#include <new>

#include "vm/core/error.h"
#include "vm/runtime/builtins_impl.h"
#include "vm/runtime/model_ops.h"
#include "vm/runtime/pytorch_ops.h"
#include "vm/runtime/scalar_ops.h"
#include "vm/runtime/tensor_ops.h"
#include "vm/tensor/backend.h"

namespace tl {

struct Vm::Frame {
  const Proto* proto;
  const Instr* pc;  // next instruction (saved while a callee runs)
  Value* base;
  uint8_t ret;  // caller register that receives the result
};

struct Vm::Env {
  BuiltinEnv builtins;
};

namespace {
constexpr size_t kStackValues = size_t{1} << 20;  // 16 MiB of registers
constexpr size_t kSpillValues = size_t{1} << 20;  // and as much for spill slots

// Operands B and C of an iABC instruction times sizeof(Value), and the value at such an offset.
static_assert(sizeof(Value) == 16, "the operand offsets scale by 16");
inline uint32_t get_b_offset(Instr i) {
  return (i >> 12) & 0xff0;
}
inline uint32_t get_c_offset(Instr i) {
  return (i >> 20) & 0xff0;
}
inline Value& value_at(Value* base, uint32_t offset) {
  return *reinterpret_cast<Value*>(reinterpret_cast<char*>(base) + offset);
}
inline const Value& value_at(const Value* base, uint32_t offset) {
  return *reinterpret_cast<const Value*>(reinterpret_cast<const char*>(base) + offset);
}

Value constant_value(const Constant& k) {
  switch (const_kind(k)) {
    case ConstKind::Int:
      return Value::integer(std::get<int64_t>(k));
    case ConstKind::Float:
      return Value::number(std::get<double>(k));
    case ConstKind::String:
      return Value::string(std::get<std::string>(k));
    case ConstKind::Shape:
      return Value::shape(Shape(std::get<ShapeConst>(k).dims));
    case ConstKind::Elementwise:  // ELEMWISE reads the program itself; LOADK never loads one
      return Value();
  }
  return Value();
}

[[noreturn]] void compare_error(const Value& a, const char* op) {
  throw RuntimeError(fmt::format("cannot compare {} with an int using {}", tag_name(a.tag()), op));
}

int64_t list_index(int64_t i, size_t n, const char* what) {
  int64_t j = i < 0 ? i + static_cast<int64_t>(n) : i;
  if (j < 0 || j >= static_cast<int64_t>(n))
    throw RuntimeError(fmt::format("{} index {} out of range (length {})", what, i, n));
  return j;
}

// Scalar opcodes meet tensors when the compiler could not prove operand types: they fall back
// to the element-wise tensor op (Lua's metamethod habit), so untyped code still runs.
Value arith_or_tensor(Backend* be, ArithOp op, const Value& a, const Value& b) {
  if (!a.is_tensor() && !b.is_tensor()) return arith(op, a, b);
  static constexpr BinaryOp kTensorOp[] = {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul,
                                           BinaryOp::Div, BinaryOp::Mod, BinaryOp::Pow};
  return t_binary(be, kTensorOp[static_cast<int>(op)], a, b);
}

// Floored modulo; a positive int divisor (the common case) is done inline.
inline void modulo(Backend* be, Value& dst, const Value& x, const Value& y) {
  if (x.is_int() && y.is_int() && y.as_int() > 0) {
    const int64_t m = x.as_int() % y.as_int();
    dst.set_int(m < 0 ? m + y.as_int() : m);
  } else {
    dst = arith_or_tensor(be, ArithOp::Mod, x, y);
  }
}

Value get_index(Backend* be, const Value& c, const Value& k) {
  switch (c.tag()) {
    case ValueTag::List:
      if (!k.is_int())
        throw RuntimeError(fmt::format("list index must be an int, got {}", tag_name(k.tag())));
      return c.as_list()
          .items[static_cast<size_t>(list_index(k.as_int(), c.as_list().items.size(), "list"))];
    case ValueTag::Shape:
      if (!k.is_int())
        throw RuntimeError(fmt::format("Shape index must be an int, got {}", tag_name(k.tag())));
      return Value::integer(
          c.as_shape()[static_cast<size_t>(list_index(k.as_int(), c.as_shape().rank(), "Shape"))]);
    case ValueTag::String:
      if (!k.is_int())
        throw RuntimeError(fmt::format("string index must be an int, got {}", tag_name(k.tag())));
      return Value::string(std::string(1, c.as_string()[static_cast<size_t>(list_index(
                                              k.as_int(), c.as_string().size(), "string"))]));
    case ValueTag::Map: {
      if (Value* v = c.as_map().find(k)) return *v;
      throw RuntimeError(fmt::format("key {} not found in map", k.is_string()
                                                                    ? "'" + k.as_string() + "'"
                                                                    : tag_name(k.tag())));
    }
    case ValueTag::Tensor:
      if (k.tag() == ValueTag::List) return t_gather(be, c, k);
      if (!k.is_int())
        throw RuntimeError(fmt::format("tensor index must be an int, got {}", tag_name(k.tag())));
      return t_index(be, c, k.as_int());
    case ValueTag::Model:  // m.blk[i]
      if (k.is_int()) return m_member(be, c, std::to_string(k.as_int()));
      if (k.is_string()) return m_member(be, c, k.as_string());
      throw RuntimeError(
          fmt::format("a model is indexed by an int or a string, not {}", tag_name(k.tag())));
    default:
      throw RuntimeError(fmt::format("a {} cannot be indexed", tag_name(c.tag())));
  }
}

// c is the container's own register (a variable, or a temporary the compiler detached from its
// global or list slot), so a tensor can be updated in place.
void set_index(Backend* be, Value& c, const Value& k, const Value& v) {
  if (c.is_tensor()) {
    const Value index[3] = {k, Value(), Value::integer(0)};
    t_assign_slice(be, c, index, v);
  } else if (c.tag() == ValueTag::List) {
    if (!k.is_int())
      throw RuntimeError(fmt::format("list index must be an int, got {}", tag_name(k.tag())));
    auto& items = c.as_list().items;
    items[static_cast<size_t>(list_index(k.as_int(), items.size(), "list"))] = v;
  } else if (c.tag() == ValueTag::Map) {
    if (Value* slot = c.as_map().find(k))
      *slot = v;
    else
      c.as_map().items.emplace_back(k, v);
  } else {
    throw RuntimeError(fmt::format("a {} does not support item assignment", tag_name(c.tag())));
  }
}

Value get_member(Backend* be, const Value& obj, const std::string& name) {
  switch (obj.tag()) {
    case ValueTag::Tensor:
      if (name == "shape") return Value::shape(obj.as_tensor().shape);
      if (name == "ndim") return Value::integer(static_cast<int64_t>(obj.as_tensor().shape.rank()));
      if (name == "T" || name == "mT") {
        // NumPy's `.T` reverses the dims; PyTorch's `.mT` swaps the last two.
        const Tensor& t = obj.as_tensor();
        const int rank = static_cast<int>(t.shape.rank());
        std::vector<int> perm(static_cast<size_t>(rank));
        for (int k = 0; k < rank; ++k)
          perm[static_cast<size_t>(k)] = name == "T" ? rank - 1 - k : k;
        if (name == "mT") {
          if (rank < 2)
            throw RuntimeError(
                fmt::format(".mT needs 2 or more dims, got shape {}", t.shape.to_string()));
          std::swap(perm[static_cast<size_t>(rank - 1)], perm[static_cast<size_t>(rank - 2)]);
        }
        return Value::tensor(need_backend(be).permute(need_tensor(obj, "transpose"), perm));
      }
      break;
    case ValueTag::Map:
      if (Value* v = obj.as_map().find(Value::string(name))) return *v;
      throw RuntimeError(fmt::format("key '{}' not found in map", name));
    case ValueTag::Model:
      return m_member(be, obj, name);
    default:
      break;
  }
  throw RuntimeError(fmt::format("{} has no member '{}'", tag_name(obj.tag()), name));
}

}  // namespace

Vm::Vm(const Module& m, VmOptions opts)
    : m_(m),
      opts_(std::move(opts)),
      stack_(kStackValues),
      spills_(kSpillValues),
      env_(std::make_unique<Env>()) {
  for (const Constant& k : m_.constants) {
    constants_.push_back(constant_value(k));
    divisors_.push_back(constants_.back().is_int() ? ConstDivisor(constants_.back().as_int())
                                                   : ConstDivisor());
  }
  globals_.resize(m_.num_globals);
  frames_.reserve(static_cast<size_t>(opts_.max_call_depth) + 2);
  if (opts_.base_dir.empty() && m_.entry < m_.functions.size() &&
      m_.functions[m_.entry].source < m_.sources.size())
    opts_.base_dir = std::filesystem::path(m_.sources[m_.functions[m_.entry].source]).parent_path();
  env_->builtins = BuiltinEnv{opts_.backend,
                              opts_.out ? opts_.out : &std::cout,
                              opts_.err ? opts_.err : &std::cerr,
                              opts_.base_dir,
                              false,
                              opts_.program_args};
}

Vm::~Vm() = default;

Value Vm::run() {
  return call(m_.entry, {});
}

Value Vm::call(uint32_t fn, std::span<const Value> args) {
  if (fn >= m_.functions.size())
    throw VmError("call of an unknown function", "call of an unknown function");
  const Proto& p = m_.functions[fn];
  if (args.size() != p.num_params)
    throw VmError(
        fmt::format("function '{}' takes {} arguments, got {}", p.name, p.num_params, args.size()),
        "bad argument count");
  // Fresh window above the frames currently running (none when called from outside).
  Value* base =
      frames_.empty() ? stack_.data() : frames_.back().base + frames_.back().proto->num_regs;
  if (base + p.num_regs > stack_.data() + stack_.capacity())
    throw VmError("stack overflow: out of register space", "stack overflow");
  stack_.ensure(base + p.num_regs);
  if (p.num_spills) {
    try {
      push_spills(p);
    } catch (const RuntimeError& e) {
      throw VmError(e.what(), "stack overflow");
    }
  }
  for (size_t i = 0; i < p.num_regs; ++i) base[i] = i < args.size() ? args[i] : Value();
  frames_.push_back(Frame{&p, p.code.data(), base, 0});
  return execute(frames_.size() - 1);
}

void Vm::push_spills(const Proto& p) {
  if (p.num_spills > spills_.capacity() - spill_top_)
    throw RuntimeError("stack overflow: out of spill slots");
  spill_top_ += p.num_spills;
  spills_.ensure(spills_.data() + spill_top_);
}

void Vm::pop_spills(const Proto& p) {
  Value* s = spills_.data() + (spill_top_ - p.num_spills);
  for (size_t k = 0; k < p.num_spills; ++k) s[k].set_none();
  spill_top_ -= p.num_spills;
}

void Vm::raise(const std::string& message, size_t first_frame) {
  const Frame& inner = frames_.back();
  auto fn_index = [&](const Proto* p) { return static_cast<uint32_t>(p - m_.functions.data()); };
  auto pos = [&](const Frame& f) {
    return m_.position(fn_index(f.proto), static_cast<uint32_t>(f.pc - f.proto->code.data()) - 1);
  };
  VmError::Location where;
  {
    const uint32_t fn = fn_index(inner.proto);
    const uint32_t at = static_cast<uint32_t>(inner.pc - inner.proto->code.data()) - 1;
    const Proto& p = m_.functions[fn];
    if (at < p.lines.size() && p.lines[at].line != 0 && p.source < m_.sources.size())
      where = {m_.sources[p.source], p.lines[at].line, p.lines[at].col};
  }
  std::string trace;
  // Innermost first. Identical consecutive frames (deep recursion) print once with a count, and
  // a trace of many different frames keeps its first and last 10.
  std::vector<std::pair<std::string, size_t>> lines;
  for (size_t i = frames_.size(); i-- > 0;) {
    std::string line = fmt::format("at {} ({})", frames_[i].proto->name, pos(frames_[i]));
    if (!lines.empty() && lines.back().first == line)
      ++lines.back().second;
    else
      lines.emplace_back(std::move(line), 1);
  }
  for (size_t k = 0; k < lines.size(); ++k) {
    if (k == 10 && lines.size() > 20) {
      trace += fmt::format("\n  ... {} more", lines.size() - 20);
      k = lines.size() - 10;
    }
    trace += "\n  " + lines[k].first;
    if (lines[k].second > 1) trace += fmt::format(" [{} times]", lines[k].second);
  }
  std::string text = fmt::format("{}: runtime error: {}{}", pos(inner), message, trace);
  for (size_t i = frames_.size(); i-- > first_frame;) pop_spills(*frames_[i].proto);
  frames_.erase(frames_.begin() + static_cast<std::ptrdiff_t>(first_frame), frames_.end());
  throw VmError(std::move(text), message, std::move(where), std::move(trace));
}

Value Vm::execute(size_t first_frame) {
  // The common case (no counting, no budget) gets a loop without either in it.
  const bool budget = opts_.step_budget != 0;
  if (opts_.count_instructions)
    return budget ? execute_loop<true, true>(first_frame) : execute_loop<true, false>(first_frame);
  return budget ? execute_loop<false, true>(first_frame) : execute_loop<false, false>(first_frame);
}

template <bool kCount, bool kBudget>
Value Vm::execute_loop(size_t first_frame) {
  const Instr* pc = frames_.back().pc;
  Value* R = frames_.back().base;
  const Value* K = constants_.data();
  const ConstDivisor* KD = divisors_.data();
  const Value* const stack_end = stack_.data() + stack_.capacity();
  Backend* be = opts_.backend;
  BuiltinEnv& benv = env_->builtins;
  const size_t max_depth = opts_.max_call_depth;
  // Loops and calls are the only ways back: counting them bounds the instructions run.
  uint64_t steps_left = opts_.step_budget ? opts_.step_budget : UINT64_MAX;
  const char* const budget_message = "the step budget is spent (loops and calls)";
  const Proto* callee = nullptr;
  try {
    static const void* const kLabels[256] = {
#define TL_OPCODE(name, fmt, ka, kb, kc, doc) &&L_##name,
#include "vm/bytecode/opcodes.def"
#undef TL_OPCODE
    };
    Instr i;
// Always used outside any scope holding a Value: an indirect goto may not leave such a scope
// (clang rejects it; the destructor would not run).
#define DISPATCH()                         \
  do {                                     \
    if constexpr (kCount) ++instructions_; \
    i = *pc++;                             \
    goto* kLabels[i & 0xff];               \
  } while (0)
#define A get_a(i)
#define B get_b(i)
#define C get_c(i)
#define RA R[get_a(i)]
// B and C as byte offsets straight from the instruction word: one shift and one mask, where
// index * sizeof(Value) takes a shift, a zero-extension and another shift (loop.tl: 3% fewer
// instructions). A keeps the index form, which measured faster on fib (calls and returns).
#define RB value_at(R, get_b_offset(i))
#define RC value_at(R, get_c_offset(i))
#define KC value_at(K, get_c_offset(i))
    DISPATCH();

  L_MOVE:
    RA = RB;
    DISPATCH();
  L_LOADK:
    RA = K[get_bx(i)];
    DISPATCH();
  L_LOADI:
    RA.set_int(get_sbx(i));
    DISPATCH();
  L_LOADF:
    RA.set_float(get_sbx(i));
    DISPATCH();
  L_LOADBOOL:
    RA.set_bool(B != 0);
    if (C) ++pc;
    DISPATCH();
  L_LOADNONE:
    for (int k = 0; k <= B; ++k) R[A + k].set_none();
    DISPATCH();
  L_LOADFN:
    RA = Value::function(static_cast<uint32_t>(get_bx(i)));
    DISPATCH();

#define ARITH_FAST(label, op, rhs, int_expr, float_expr)                        \
  label : {                                                                     \
    const Value& x = RB;                                                        \
    const Value& y = rhs;                                                       \
    if (x.is_int() && y.is_int()) [[likely]] {                                  \
      int64_t r;                                                                \
      if (!int_expr) {                                                          \
        RA.set_int(r);                                                          \
        DISPATCH();                                                             \
      }                                                                         \
    } else if (x.is_float() && y.is_float()) {                                  \
      RA.set_float(float_expr);                                                 \
      DISPATCH();                                                               \
    }                                                                           \
    if (ArithOp::op == ArithOp::Add && add_list_in_place(RA, x, y)) DISPATCH(); \
    RA = arith_or_tensor(be, ArithOp::op, x, y);                                \
    DISPATCH();                                                                 \
  }
    ARITH_FAST(L_ADD, Add, RC, __builtin_add_overflow(x.as_int(), y.as_int(), &r),
               x.as_float() + y.as_float())
    ARITH_FAST(L_SUB, Sub, RC, __builtin_sub_overflow(x.as_int(), y.as_int(), &r),
               x.as_float() - y.as_float())
    ARITH_FAST(L_MUL, Mul, RC, __builtin_mul_overflow(x.as_int(), y.as_int(), &r),
               x.as_float() * y.as_float())
    ARITH_FAST(L_ADDK, Add, KC, __builtin_add_overflow(x.as_int(), y.as_int(), &r),
               x.as_float() + y.as_float())
    ARITH_FAST(L_SUBK, Sub, KC, __builtin_sub_overflow(x.as_int(), y.as_int(), &r),
               x.as_float() - y.as_float())
    ARITH_FAST(L_MULK, Mul, KC, __builtin_mul_overflow(x.as_int(), y.as_int(), &r),
               x.as_float() * y.as_float())
#undef ARITH_FAST
  L_DIV:
    RA = arith_or_tensor(be, ArithOp::Div, RB, RC);
    DISPATCH();
  L_MOD:
    modulo(be, RA, RB, RC);
    DISPATCH();
  L_POW:
    RA = arith_or_tensor(be, ArithOp::Pow, RB, RC);
    DISPATCH();
  L_DIVK:
    RA = arith_or_tensor(be, ArithOp::Div, RB, KC);
    DISPATCH();
  L_MODK : {
    int64_t r;
    if (RB.is_int() && KD[C].floored_mod(RB.as_int(), r)) {
      RA.set_int(r);
      DISPATCH();
    }
    modulo(be, RA, RB, KC);
    DISPATCH();
  }
  L_POWK:
    RA = arith_or_tensor(be, ArithOp::Pow, RB, KC);
    DISPATCH();
  L_ADDI : {
    const Value& x = RB;
    int64_t r;
    if (x.is_int() && !__builtin_add_overflow(x.as_int(), int64_t{get_sc(i)}, &r)) {
      RA.set_int(r);
    } else if (x.is_float()) {
      RA.set_float(x.as_float() + get_sc(i));
    } else {
      RA = arith_or_tensor(be, ArithOp::Add, x, Value::integer(get_sc(i)));
    }
    DISPATCH();
  }
  L_UNM:
    RA = RB.is_tensor() ? t_unary(be, UnaryOp::Neg, RB) : negate(RB);
    DISPATCH();
  L_NOT:
    RA.set_bool(!truthy(RB));
    DISPATCH();
  L_EQ : {
    const Value &x = RB, &y = RC;
    if (is_mask_compare(x, y)) {
      RA = t_binary(be, BinaryOp::Eq, x, y);
      DISPATCH();
    }
    RA.set_bool(x.is_int() && y.is_int() ? x.as_int() == y.as_int() : compare_equal(x, y));
    DISPATCH();
  }
  L_NE : {
    const Value &x = RB, &y = RC;
    if (is_mask_compare(x, y)) {
      RA = t_binary(be, BinaryOp::Ne, x, y);
      DISPATCH();
    }
    RA.set_bool(!(x.is_int() && y.is_int() ? x.as_int() == y.as_int() : compare_equal(x, y)));
    DISPATCH();
  }
  L_LT : {
    const Value &x = RB, &y = RC;
    if (is_mask_compare(x, y)) {
      RA = t_binary(be, BinaryOp::Lt, x, y);
      DISPATCH();
    }
    RA.set_bool(x.is_int() && y.is_int() ? x.as_int() < y.as_int() : less_than(x, y, false));
    DISPATCH();
  }
  L_LE : {
    const Value &x = RB, &y = RC;
    if (is_mask_compare(x, y)) {
      RA = t_binary(be, BinaryOp::Le, x, y);
      DISPATCH();
    }
    RA.set_bool(x.is_int() && y.is_int() ? x.as_int() <= y.as_int() : less_than(x, y, true));
    DISPATCH();
  }
  L_JMP:
    if (kBudget && get_sbx(i) < 0 && steps_left-- == 0) throw RuntimeError(budget_message);
    pc += get_sbx(i);
    DISPATCH();
  L_TEST : {
    const Value& x = RA;
    bool t = x.is_bool() ? x.as_bool() : truthy(x);
    if (t != (C != 0)) ++pc;
    DISPATCH();
  }
  L_TESTSET : {
    const Value& x = RB;
    if (truthy(x) != (C != 0))
      ++pc;
    else
      RA = x;
    DISPATCH();
  }
#define COND_RR(label, int_cmp, slow)                       \
  label : {                                                 \
    const Value &x = RA, &y = RB;                           \
    bool r = x.is_int() && y.is_int() ? (int_cmp) : (slow); \
    if (r != (C != 0)) ++pc;                                \
    DISPATCH();                                             \
  }
    COND_RR(L_CLT, x.as_int() < y.as_int(), less_than(x, y, false))
    COND_RR(L_CLE, x.as_int() <= y.as_int(), less_than(x, y, true))
    COND_RR(L_CEQ, x.as_int() == y.as_int(), compare_equal(x, y))
#undef COND_RR
#define COND_RI(label, opname, cmp)                \
  label : {                                        \
    const Value& x = RA;                           \
    int64_t imm = get_sb(i);                       \
    bool r;                                        \
    if (x.is_int()) {                              \
      int64_t v = x.as_int();                      \
      r = (cmp);                                   \
    } else if (x.is_float()) {                     \
      double v = x.as_float();                     \
      r = (cmp);                                   \
    } else if (x.is_tensor()) {                    \
      double v = tensor_as_number(x.as_tensor());  \
      r = (cmp);                                   \
    } else if (std::string_view(opname) == "==") { \
      r = false;                                   \
    } else {                                       \
      compare_error(x, opname);                    \
    }                                              \
    if (r != (C != 0)) ++pc;                       \
    DISPATCH();                                    \
  }
    COND_RI(L_CLTI, "<", v < imm)
    COND_RI(L_CLEI, "<=", v <= imm)
    COND_RI(L_CGTI, ">", v > imm)
    COND_RI(L_CGEI, ">=", v >= imm)
    COND_RI(L_CEQI, "==", v == imm)
#undef COND_RI
  L_FORPREP : {
    Value* r = &RA;
    if (!r[0].is_int() || !r[1].is_int() || !r[2].is_int())
      throw RuntimeError("range() arguments must be ints");
    int64_t start = r[0].as_int(), stop = r[1].as_int(), step = r[2].as_int();
    if (step == 0) throw RuntimeError("range() step must not be zero");
    if (step > 0 ? start >= stop : start <= stop) {
      pc += get_sbx(i);
    } else {
      // R[A+1] becomes the number of iterations left after this one (Lua 5.4's trick: no
      // overflow at the ends of the int range).
      uint64_t left = step > 0 ? (static_cast<uint64_t>(stop) - static_cast<uint64_t>(start) - 1) /
                                     static_cast<uint64_t>(step)
                               : (static_cast<uint64_t>(start) - static_cast<uint64_t>(stop) - 1) /
                                     (static_cast<uint64_t>(-(step + 1)) + 1);
      r[1].set_int(static_cast<int64_t>(left));
      r[3].set_int(start);
    }
    DISPATCH();
  }
  L_FORLOOP : {
    Value* r = &RA;
    int64_t left = r[1].as_int();
    if (left > 0) {
      if (kBudget && steps_left-- == 0) throw RuntimeError(budget_message);
      int64_t v = static_cast<int64_t>(static_cast<uint64_t>(r[0].as_int()) +
                                       static_cast<uint64_t>(r[2].as_int()));
      r[1].set_int(left - 1);
      r[0].set_int(v);
      r[3].set_int(v);
      pc += get_sbx(i);
    }
    DISPATCH();
  }
  L_CALL:
    callee = &m_.functions[static_cast<size_t>(get_bx(i))];
    goto do_call;
  L_CALLR:
    if (RA.tag() != ValueTag::Function)
      throw RuntimeError(fmt::format("a {} is not callable", tag_name(RA.tag())));
    callee = &m_.functions[RA.as_function()];
    if (callee->num_params != B)
      throw RuntimeError(fmt::format("function '{}' takes {} arguments, got {}", callee->name,
                                     callee->num_params, B));
  do_call : {
    if (kBudget && steps_left-- == 0) throw RuntimeError(budget_message);
    Value* nb = R + A + 1;
    if (frames_.size() > max_depth)
      throw RuntimeError(fmt::format(
          "stack overflow: more than {} nested calls (unbounded recursion?)", max_depth));
    if (nb + callee->num_regs > stack_end)
      throw RuntimeError("stack overflow: out of register space");
    // No clearing here: codegen writes every register before reading it. What the callee's
    // registers hold from before is scalars or the caller's dead temporaries, which the callee's
    // writes or its RETURN release.
    stack_.ensure(nb + callee->num_regs);
    if (callee->num_spills) [[unlikely]]
      push_spills(*callee);
    frames_.back().pc = pc;
    frames_.push_back(Frame{callee, callee->code.data(), nb, static_cast<uint8_t>(A)});
    pc = callee->code.data();
    R = nb;
    DISPATCH();
  }
  L_CALLB : {
    Value r = call_builtin(static_cast<Builtin>(B), benv,
                           std::span<const Value>(R + A + 1, static_cast<size_t>(C)));
    // The arguments are temporaries; released now so that they do not keep a tensor shared.
    for (int k = 1; k <= C; ++k) R[A + k].set_none();
    RA = std::move(r);
  }
    DISPATCH();
  L_RETURN : {
    Value result = B ? std::move(RA) : Value();
    uint8_t ret = frames_.back().ret;
    // The callee's registers die with it (so they keep no tensor shared with the caller); the
    // scalars left behind are dead and cost nothing to leave.
    const Proto& ending = *frames_.back().proto;
    for (size_t k = 0; k < ending.num_regs; ++k)
      if (R[k].is_obj()) [[unlikely]]
        R[k].set_none();
    if (ending.num_spills) [[unlikely]]
      pop_spills(ending);
    frames_.pop_back();
    if (frames_.size() == first_frame) return result;
    Frame& f = frames_.back();
    pc = f.pc;
    R = f.base;
    R[ret] = std::move(result);
  }
    DISPATCH();
  L_NEWLIST:
    RA = Value::list(std::vector<Value>(R + B, R + B + C));
    DISPATCH();
  L_NEWMAP : {
    Value m = Value::map();
    for (int k = 0; k < C; ++k) set_index(be, m, R[B + 2 * k], R[B + 2 * k + 1]);
    RA = std::move(m);
  }
    DISPATCH();
  L_GETINDEX:
    RA = get_index(be, RB, RC);
    DISPATCH();
  L_SETINDEX:
    set_index(be, RA, RB, RC);
    DISPATCH();
  L_TSETSLICE:
    t_assign_slice(be, RA, std::span<const Value>(R + B, static_cast<size_t>(3 * C)), R[B + 3 * C]);
    DISPATCH();
  L_GETMEMBER:
    RA = get_member(be, RB, K[C].as_string());
    DISPATCH();
  L_TADD:
    RA = t_binary(be, BinaryOp::Add, RB, RC);
    DISPATCH();
  L_TSUB:
    RA = t_binary(be, BinaryOp::Sub, RB, RC);
    DISPATCH();
  L_TMUL:
    RA = t_binary(be, BinaryOp::Mul, RB, RC);
    DISPATCH();
  L_TDIV:
    RA = t_binary(be, BinaryOp::Div, RB, RC);
    DISPATCH();
  L_TMOD:
    RA = t_binary(be, BinaryOp::Mod, RB, RC);
    DISPATCH();
  L_TPOW:
    RA = t_binary(be, BinaryOp::Pow, RB, RC);
    DISPATCH();
  L_TUNARY:
    RA = t_unary(be, static_cast<UnaryOp>(C), RB);
    DISPATCH();
  L_MATMUL:
    RA = t_matmul(be, RB, RC);
    DISPATCH();
  L_LINEAR:
    RA = t_linear(be, RB, RC, R[C + 1]);
    DISPATCH();
  L_TREDUCE:
    RA = t_reduce(be, static_cast<ReduceOp>(C), RB, R[B + 1], R[B + 2]);
    DISPATCH();
  L_SOFTMAX:
    RA = t_softmax(be, RB, get_sc(i));
    DISPATCH();
  L_RMSNORM:
    RA = t_rms_norm(be, RB, R[B + 1], R[B + 2]);
    DISPATCH();
  L_LAYERNORM:
    RA = t_layer_norm(be, RB, R[B + 1], R[B + 2], R[B + 3]);
    DISPATCH();
  L_RESHAPE:
    RA = t_reshape(RB, std::span<const Value>(R + B + 1, static_cast<size_t>(C)));
    DISPATCH();
  L_TRANSPOSE:
    RA = t_transpose(be, RB, std::span<const Value>(R + B + 1, static_cast<size_t>(C)));
    DISPATCH();
  L_TSLICE : {
    // R[B] is a temporary copy of the object: dropping it keeps a sliced KV cache unshared, so
    // the next slice assignment to it stays in place.
    Value r = t_slice(be, RB, std::span<const Value>(R + B + 1, static_cast<size_t>(3 * C)));
    RB.set_none();
    RA = std::move(r);
  }
    DISPATCH();
  L_TCONCAT:
    RA = t_concat(be, std::span<const Value>(R + B, static_cast<size_t>(C)), R[B + C]);
    DISPATCH();
  L_LOADMODEL : {
    if (!RB.is_string())
      throw RuntimeError(
          fmt::format("load_model: expected a string path, got {}", tag_name(RB.tag())));
    RA = m_load_model(RB.as_string(), benv.base_dir);
    DISPATCH();
  }
  L_GETTENSOR : {
    if (!RC.is_string())
      throw RuntimeError(
          fmt::format("get_tensor: expected a string name, got {}", tag_name(RC.tag())));
    RA = m_get_tensor(be, RB, RC.as_string());
    DISPATCH();
  }
  L_GETTENSORK:
    RA = m_get_tensor(be, RB, K[C].as_string());
    DISPATCH();
  L_CHECKSHAPE:
    t_check_shape(RA, std::get<ShapeConst>(m_.constants[static_cast<size_t>(get_bx(i))]));
    DISPATCH();
  L_GETGLOBAL:
    RA = globals_[static_cast<size_t>(get_bx(i))];
    DISPATCH();
  L_SETGLOBAL:
    globals_[static_cast<size_t>(get_bx(i))] = RA;
    DISPATCH();
  L_GETSPILL:
    RA = spills_.data()[spill_top_ - frames_.back().proto->num_spills + get_bx(i)];
    DISPATCH();
  L_SETSPILL:
    spills_.data()[spill_top_ - frames_.back().proto->num_spills + get_bx(i)] = RA;
    DISPATCH();
  L_ELEMWISE : {
    const auto& prog = std::get<ElementwiseProgram>(m_.constants[static_cast<size_t>(get_bx(i))]);
    RA = t_elementwise(be, prog, std::span<const Value>(R + A + 1, prog.num_inputs()));
    DISPATCH();
  }
#undef DISPATCH
#undef A
#undef B
#undef C
#undef RA
#undef RB
#undef RC
#undef KC
  } catch (const VmError&) {
    throw;
  } catch (const RuntimeError& e) {
    frames_.back().pc = pc;
    std::string msg = e.what();
    raise(msg, first_frame);
  } catch (const std::bad_alloc&) {
    frames_.back().pc = pc;
    raise("out of memory", first_frame);
  }
}

std::string stats_line(const Vm& vm) {
  return "stats: " + std::to_string(vm.instructions_executed()) + " instructions executed";
}

}  // namespace tl
