// Programs built with ModuleBuilder for every scalar opcode family; expected stdout / errors.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/vm/vm_test_util.h"
#include "vm/runtime/const_divisor.h"

namespace tl {
namespace {

using test::run_module;
using test::Script;

TEST(VmLoads, ConstantsAndImmediates) {
  Script s(16);
  auto& f = s.f();
  f.emit(OpCode::LOADI, 0, -42);
  f.emit(OpCode::LOADF, 1, 2);
  f.emit(OpCode::LOADK, 2, static_cast<int>(s.mb.constant(0.1)));
  f.emit(OpCode::LOADK, 3, static_cast<int>(s.mb.constant("hello world")));
  f.emit(OpCode::LOADBOOL, 4, 1, 0);
  f.emit(OpCode::LOADNONE, 5, 0);
  f.emit(OpCode::LOADK, 6, static_cast<int>(s.mb.constant(int64_t{1} << 40)));
  f.emit(OpCode::LOADK, 7, static_cast<int>(s.mb.constant(ShapeConst{{4, 2}})));
  s.print({0, 1, 2, 3, 4, 5, 6, 7}, 8);
  auto r = run_module(s.finish());
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.out, "-42 2.0 0.1 hello world true none 1099511627776 [4, 2]\n");
}

// `MOVE a a` (never compiled, but valid bytecode) keeps the value: a self-assignment that read
// back the tag release() had cleared turned a string or a list into none and leaked it
// (fuzz_tlbc under LeakSanitizer).
TEST(VmLoads, MoveOntoItselfKeepsTheValue) {
  Script s(8);
  auto& f = s.f();
  f.emit(OpCode::LOADK, 0, static_cast<int>(s.mb.constant("kept")));
  f.emit(OpCode::MOVE, 0, 0);
  f.emit(OpCode::LOADI, 1, 7);
  f.emit(OpCode::MOVE, 1, 1);
  s.print({0, 1}, 2);
  auto r = run_module(s.finish());
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.out, "kept 7\n");
}

// Prints R[B] op R[C] for each op of `ops` on the loaded operands.
std::string binop(OpCode op, Constant a, Constant b) {
  Script s;
  auto load = [&](int reg, const Constant& k) {
    uint32_t idx = std::visit([&](const auto& v) { return s.mb.constant(v); }, k);
    s.f().emit(OpCode::LOADK, reg, static_cast<int>(idx));
  };
  load(0, a);
  load(1, b);
  s.f().emit(op, 2, 0, 1);
  s.print({2}, 3);
  auto r = run_module(s.finish());
  if (!r.error.empty())
    return "error: " + r.error.substr(r.error.find("runtime error: ") + 15,
                                      r.error.find('\n') - r.error.find("runtime error: ") - 15);
  return r.out.substr(0, r.out.size() - 1);
}

TEST(VmArith, PythonSemantics) {
  using I = int64_t;
  EXPECT_EQ(binop(OpCode::ADD, I{7}, I{3}), "10");
  EXPECT_EQ(binop(OpCode::SUB, I{7}, I{10}), "-3");
  EXPECT_EQ(binop(OpCode::MUL, I{6}, I{7}), "42");
  EXPECT_EQ(binop(OpCode::DIV, I{7}, I{2}), "3.5");
  EXPECT_EQ(binop(OpCode::DIV, I{6}, I{3}), "2.0");
  EXPECT_EQ(binop(OpCode::MOD, I{7}, I{3}), "1");
  EXPECT_EQ(binop(OpCode::MOD, I{-7}, I{3}), "2");
  EXPECT_EQ(binop(OpCode::MOD, I{7}, I{-3}), "-2");
  EXPECT_EQ(binop(OpCode::MOD, 7.5, 2.0), "1.5");
  EXPECT_EQ(binop(OpCode::MOD, -7.5, 2.0), "0.5");
  EXPECT_EQ(binop(OpCode::POW, I{2}, I{10}), "1024");
  EXPECT_EQ(binop(OpCode::POW, I{2}, I{-1}), "0.5");
  EXPECT_EQ(binop(OpCode::POW, 2.0, 0.5), "1.4142135623730951");
  EXPECT_EQ(binop(OpCode::ADD, I{1}, 0.5), "1.5");
  EXPECT_EQ(binop(OpCode::MUL, 0.1, I{3}), "0.30000000000000004");
  EXPECT_EQ(binop(OpCode::ADD, std::string("ab"), std::string("cd")), "abcd");
}

TEST(VmArith, Errors) {
  using I = int64_t;
  EXPECT_EQ(binop(OpCode::DIV, I{1}, I{0}), "error: division by zero");
  EXPECT_EQ(binop(OpCode::MOD, I{1}, I{0}), "error: integer modulo by zero");
  EXPECT_EQ(binop(OpCode::DIV, 1.0, 0.0), "error: float division by zero");
  EXPECT_EQ(binop(OpCode::ADD, INT64_MAX, I{1}), "error: integer overflow in +");
  EXPECT_EQ(binop(OpCode::MUL, I{1} << 40, I{1} << 40), "error: integer overflow in *");
  EXPECT_EQ(binop(OpCode::POW, I{10}, I{30}), "error: integer overflow in **");
  EXPECT_EQ(binop(OpCode::ADD, I{1}, std::string("a")),
            "error: unsupported operand types for +: int and string");
  EXPECT_EQ(binop(OpCode::LT, I{1}, std::string("a")),
            "error: cannot compare int and string with <");
}

TEST(VmCompare, RegisterForms) {
  using I = int64_t;
  EXPECT_EQ(binop(OpCode::EQ, I{2}, 2.0), "true");
  EXPECT_EQ(binop(OpCode::NE, I{2}, I{3}), "true");
  EXPECT_EQ(binop(OpCode::LT, 1.5, I{2}), "true");
  EXPECT_EQ(binop(OpCode::LE, I{2}, I{2}), "true");
  EXPECT_EQ(binop(OpCode::LT, std::string("abc"), std::string("abd")), "true");
  EXPECT_EQ(binop(OpCode::EQ, std::string("a"), I{1}), "false");
}

TEST(VmArith, ConstantAndImmediateForms) {
  Script s;
  auto& f = s.f();
  f.emit(OpCode::LOADI, 0, 10);
  f.emit(OpCode::ADDK, 1, 0, static_cast<int>(s.mb.constant(int64_t{5})));
  f.emit(OpCode::SUBK, 2, 0, static_cast<int>(s.mb.constant(0.5)));
  f.emit(OpCode::MULK, 3, 0, static_cast<int>(s.mb.constant(int64_t{3})));
  f.emit(OpCode::DIVK, 4, 0, static_cast<int>(s.mb.constant(int64_t{4})));
  f.emit(OpCode::MODK, 5, 0, static_cast<int>(s.mb.constant(int64_t{4})));
  f.emit(OpCode::POWK, 6, 0, static_cast<int>(s.mb.constant(int64_t{2})));
  f.emit(OpCode::ADDI, 7, 0, -3 + kOffsetSC);
  f.emit(OpCode::UNM, 8, 7);
  f.emit(OpCode::NOT, 9, 0);
  s.print({1, 2, 3, 4, 5, 6, 7, 8, 9}, 10);
  auto r = run_module(s.finish());
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.out, "15 9.5 30 2.5 2 100 7 -7 false\n");
}

// MODK by a constant takes a precomputed reciprocal for dividends and divisors under 2^32 and the
// division otherwise; both give Python's floored remainder.
TEST(VmArith, ModuloByAConstantMatchesTheDivision) {
  auto modk = [](int64_t x, int64_t d) {
    Script s;
    auto& f = s.f();
    f.emit(OpCode::LOADK, 0, static_cast<int>(s.mb.constant(x)));
    f.emit(OpCode::MODK, 1, 0, static_cast<int>(s.mb.constant(d)));
    s.print({1}, 2);
    auto r = run_module(s.finish());
    return r.error.empty() ? r.out.substr(0, r.out.size() - 1) : r.error;
  };
  EXPECT_EQ(modk(7, 3), "1");
  EXPECT_EQ(modk(-7, 3), "2");
  EXPECT_EQ(modk(-6, 3), "0");
  EXPECT_EQ(modk(7, -3), "-2");
  EXPECT_EQ(modk(4294967295, 1000003), std::to_string(4294967295 % 1000003));
  EXPECT_EQ(modk(-4294967295, 4294967295), "0");
  EXPECT_EQ(modk(4294967296, 7), std::to_string(4294967296 % 7));
  EXPECT_EQ(modk(INT64_MIN, 10), "2");
  EXPECT_EQ(modk(123, 1), "0");
  EXPECT_NE(modk(5, 0).find("modulo by zero"), std::string::npos);
}

TEST(ConstDivisor, AgreesWithTheDivisionEverywhereItIsUsed) {
  auto floored = [](int64_t x, int64_t d) {
    const int64_t m = x % d;
    return m < 0 ? m + d : m;
  };
  std::vector<int64_t> divisors = {2,     3,     7,          10,         641,        1000003,
                                   65536, 65537, 2147483647, 2147483648, 4294967291, 4294967295};
  std::vector<int64_t> dividends = {0, 1, 2, 3, 641, 65535, 65536, 4294967294, 4294967295};
  uint64_t state = 0x9e3779b97f4a7c15;
  for (int k = 0; k < 20000; ++k) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    dividends.push_back(static_cast<int64_t>(state & 0xffffffff));
    if (k % 100 == 0) divisors.push_back(static_cast<int64_t>(state >> 32) | 2);
  }
  for (int64_t d : divisors) {
    const ConstDivisor cd(d);
    for (int64_t x : dividends) {
      for (int64_t signed_x : {x, -x}) {
        int64_t r = -1;
        ASSERT_TRUE(cd.floored_mod(signed_x, r)) << signed_x << " % " << d;
        ASSERT_EQ(r, floored(signed_x, d)) << signed_x << " % " << d;
      }
    }
  }
  int64_t r = 0;
  EXPECT_FALSE(ConstDivisor(7).floored_mod(int64_t{1} << 32, r));
  EXPECT_FALSE(ConstDivisor(7).floored_mod(INT64_MIN, r));
  EXPECT_FALSE(ConstDivisor(1).floored_mod(5, r));
  EXPECT_FALSE(ConstDivisor(0).floored_mod(5, r));
  EXPECT_FALSE(ConstDivisor(-3).floored_mod(5, r));
  EXPECT_FALSE(ConstDivisor(int64_t{1} << 32).floored_mod(5, r));
}

// if (R0 <op> R1/imm) print 1 else print 0, for each conditional-skip opcode.
std::string cond(OpCode op, Constant a, int b_field, int k) {
  Script s;
  auto& f = s.f();
  uint32_t idx = std::visit([&](const auto& v) { return s.mb.constant(v); }, a);
  f.emit(OpCode::LOADK, 0, static_cast<int>(idx));
  f.emit(OpCode::LOADI, 1, 5);
  Label yes = f.new_label(), done = f.new_label();
  f.emit(op, 0, b_field, k);  // skips the jump when the condition != k
  f.jump(OpCode::JMP, 0, yes);
  f.emit(OpCode::LOADI, 2, 0);
  f.jump(OpCode::JMP, 0, done);
  f.bind(yes);
  f.emit(OpCode::LOADI, 2, 1);
  f.bind(done);
  s.print({2}, 3);
  auto r = run_module(s.finish());
  return r.error.empty() ? r.out.substr(0, 1) : r.error;
}

TEST(VmJumps, ConditionalSkips) {
  using I = int64_t;
  // The JMP after the test runs when (cond == k).
  EXPECT_EQ(cond(OpCode::CLT, I{3}, 1, 1), "1");  // 3 < 5
  EXPECT_EQ(cond(OpCode::CLT, I{7}, 1, 1), "0");
  EXPECT_EQ(cond(OpCode::CLT, I{7}, 1, 0), "1");  // not (7 < 5)
  EXPECT_EQ(cond(OpCode::CLE, I{5}, 1, 1), "1");
  EXPECT_EQ(cond(OpCode::CEQ, 5.0, 1, 1), "1");
  EXPECT_EQ(cond(OpCode::CLTI, I{1}, 2 + kOffsetSC, 1), "1");
  EXPECT_EQ(cond(OpCode::CLEI, I{2}, 2 + kOffsetSC, 1), "1");
  EXPECT_EQ(cond(OpCode::CGTI, 2.5, 2 + kOffsetSC, 1), "1");
  EXPECT_EQ(cond(OpCode::CGEI, I{-3}, -3 + kOffsetSC, 1), "1");
  EXPECT_EQ(cond(OpCode::CEQI, I{-3}, -2 + kOffsetSC, 1), "0");
  EXPECT_EQ(cond(OpCode::TEST, true, 0, 1), "1");
  EXPECT_EQ(cond(OpCode::TEST, int64_t{0}, 0, 1), "0");
  EXPECT_EQ(cond(OpCode::TEST, std::string(""), 0, 0), "1");
}

TEST(VmJumps, LoadBoolSkipAndTestSet) {
  Script s;
  auto& f = s.f();
  f.emit(OpCode::LOADBOOL, 0, 0, 1);  // R0 = false, skip next
  f.emit(OpCode::LOADI, 0, 99);       // skipped
  f.emit(OpCode::LOADI, 1, 7);
  f.emit(OpCode::LOADI, 2, 0);
  // `R2 = R1 || ...`: when truthy(R1) == 1, R2 := R1 and the JMP runs; else the JMP is skipped.
  f.emit(OpCode::TESTSET, 2, 1, 1);
  f.emit(OpCode::JMP, 0, 0);
  s.print({0, 2}, 3);
  auto r = run_module(s.finish());
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.out, "false 7\n");
}

// for i in range(start, stop, step) { print(i) } via FORPREP/FORLOOP.
std::string for_range(int start, int stop, int step) {
  Script s;
  auto& f = s.f();
  f.emit(OpCode::LOADI, 0, start);
  f.emit(OpCode::LOADI, 1, stop);
  f.emit(OpCode::LOADI, 2, step);
  Label body = f.new_label(), exit = f.new_label();
  f.jump(OpCode::FORPREP, 0, exit);
  f.bind(body);
  s.print({3}, 4);
  f.jump(OpCode::FORLOOP, 0, body);
  f.bind(exit);
  auto r = run_module(s.finish());
  return r.error.empty() ? r.out : r.error;
}

TEST(VmFor, Ranges) {
  EXPECT_EQ(for_range(0, 3, 1), "0\n1\n2\n");
  EXPECT_EQ(for_range(10, 0, -3), "10\n7\n4\n1\n");
  EXPECT_EQ(for_range(5, 5, 1), "");
  EXPECT_EQ(for_range(0, 10, 4), "0\n4\n8\n");
  EXPECT_NE(for_range(0, 3, 0).find("runtime error: range() step must not be zero"),
            std::string::npos);
}

Module fib_module(int n) {
  ModuleBuilder mb;
  uint32_t main = mb.declare_function("<script>", 0);
  uint32_t fib = mb.declare_function("fib", 1);
  mb.set_entry(main);
  auto& g = mb.function(fib);
  g.emit(OpCode::CLTI, 0, 2 + kOffsetSC, 1);  // if not (n < 2) skip the return
  g.emit(OpCode::RETURN, 0, 1);
  g.emit(OpCode::ADDI, 2, 0, -1 + kOffsetSC);
  g.emit(OpCode::CALL, 1, static_cast<int>(fib));
  g.emit(OpCode::ADDI, 3, 0, -2 + kOffsetSC);
  g.emit(OpCode::CALL, 2, static_cast<int>(fib));
  g.emit(OpCode::ADD, 1, 1, 2);
  g.emit(OpCode::RETURN, 1, 1);
  auto& f = mb.function(main);
  f.emit(OpCode::LOADI, 1, n);
  f.emit(OpCode::CALL, 0, static_cast<int>(fib));
  f.emit(OpCode::MOVE, 2, 0);
  f.emit(OpCode::LOADNONE, 3, 0);  // print's end and stderr: none
  f.emit(OpCode::LOADNONE, 4, 0);
  f.call_builtin(1, Builtin::Print, 3);  // R[2]; end, stderr: R[3], R[4] (none)
  f.emit(OpCode::RETURN, 0, 0);
  return mb.finish();
}

TEST(VmCall, RecursiveFib) {
  auto r = run_module(fib_module(20));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.out, "6765\n");
}

TEST(VmCall, FunctionValuesAndArity) {
  ModuleBuilder mb;
  uint32_t main = mb.declare_function("<script>", 0);
  uint32_t add = mb.declare_function("add", 2);
  mb.set_entry(main);
  auto& g = mb.function(add);
  g.emit(OpCode::ADD, 0, 0, 1);
  g.emit(OpCode::RETURN, 0, 1);
  auto& f = mb.function(main);
  f.reserve_regs(8);
  f.emit(OpCode::LOADFN, 0, static_cast<int>(add));
  f.emit(OpCode::LOADI, 1, 2);
  f.emit(OpCode::LOADI, 2, 40);
  f.emit(OpCode::CALLR, 0, 2);
  f.emit(OpCode::MOVE, 4, 0);
  f.emit(OpCode::LOADNONE, 5, 0);  // print's end and stderr: none
  f.emit(OpCode::LOADNONE, 6, 0);
  f.call_builtin(3, Builtin::Print, 3);  // R[4]; end, stderr: R[5], R[6] (none)
  f.emit(OpCode::LOADFN, 0, static_cast<int>(add));
  f.emit(OpCode::CALLR, 0, 1);  // wrong arity: a run-time error
  f.emit(OpCode::RETURN, 0, 0);
  auto r = run_module(mb.finish());
  EXPECT_EQ(r.out, "42\n");
  EXPECT_NE(r.error.find("runtime error: function 'add' takes 2 arguments, got 1"),
            std::string::npos);
}

TEST(VmCollections, ListsMapsIndexMember) {
  Script s(16);
  auto& f = s.f();
  f.emit(OpCode::LOADI, 0, 1);
  f.emit(OpCode::LOADK, 1, static_cast<int>(s.mb.constant("two")));
  f.emit(OpCode::LOADF, 2, 3);
  f.emit(OpCode::NEWLIST, 3, 0, 3);  // R3 = [1, "two", 3.0]
  f.emit(OpCode::LOADI, 4, -1);
  f.emit(OpCode::GETINDEX, 5, 3, 4);  // R5 = R3[-1]
  f.emit(OpCode::LOADI, 6, 0);
  f.emit(OpCode::SETINDEX, 3, 6, 1);  // R3[0] = "two"
  f.emit(OpCode::LOADK, 7, static_cast<int>(s.mb.constant("k")));
  f.emit(OpCode::LOADI, 8, 9);
  f.emit(OpCode::NEWMAP, 9, 7, 1);  // R9 = {"k": 9}
  f.emit(OpCode::GETMEMBER, 10, 9, static_cast<int>(s.mb.constant("k")));
  f.emit(OpCode::SETINDEX, 9, 1, 2);  // R9["two"] = 3.0
  s.print({3, 5, 9, 10}, 11);
  f.emit(OpCode::LOADI, 4, 5);
  f.emit(OpCode::GETINDEX, 5, 3, 4);  // out of range
  auto r = run_module(s.finish());
  EXPECT_EQ(r.out, "[\"two\", \"two\", 3.0] 3.0 {\"k\": 9, \"two\": 3.0} 9\n");
  EXPECT_NE(r.error.find("runtime error: list index 5 out of range (length 3)"), std::string::npos);
}

TEST(VmBuiltins, ScalarBuiltins) {
  Script s(16);
  auto& f = s.f();
  // len("hello"), range(2, 8, 3), abs(-4), sqrt(2.25), exp(0), log(1.0)
  f.emit(OpCode::LOADK, 1, static_cast<int>(s.mb.constant("hello")));
  f.call_builtin(0, Builtin::Len, 1);
  f.emit(OpCode::LOADI, 2, 2);
  f.emit(OpCode::LOADI, 3, 8);
  f.emit(OpCode::LOADI, 4, 3);
  f.call_builtin(1, Builtin::Range, 3);
  f.emit(OpCode::LOADI, 3, -4);
  f.call_builtin(2, Builtin::Abs, 1);
  f.emit(OpCode::LOADK, 4, static_cast<int>(s.mb.constant(2.25)));
  f.call_builtin(3, Builtin::Sqrt, 1);
  f.emit(OpCode::LOADI, 5, 0);
  f.call_builtin(4, Builtin::Exp, 1);
  f.emit(OpCode::LOADI, 6, 4);
  f.call_builtin(5, Builtin::Range, 1);  // defaults filled from builtins.def
  f.emit(OpCode::MOVE, 7, 5);
  f.call_builtin(6, Builtin::Len, 1);
  s.print({0, 1, 2, 3, 4, 5, 6}, 8);
  f.emit(OpCode::LOADBOOL, 9, 0, 0);
  f.call_builtin(8, Builtin::Assert, 1);  // default message
  auto r = run_module(s.finish());
  EXPECT_EQ(r.out, "5 [2, 5] 4 1.5 1.0 [0, 1, 2, 3] 4\n");
  EXPECT_NE(r.error.find("runtime error: assertion failed"), std::string::npos);
}

TEST(VmBuiltins, TensorOpsWithoutBackendSayWhy) {
  Script s;
  auto& f = s.f();
  f.emit(OpCode::LOADI, 1, 2);
  f.call_builtin(0, Builtin::Zeros, 1);
  auto r = run_module(s.finish());
  EXPECT_NE(r.error.find("runtime error: tensor operations need a backend"), std::string::npos);
}

}  // namespace
}  // namespace tl
