// The .tlbc format: round trip, and one test per reader/verifier check. Every rejection must be a
// FormatError with a clear message (never a crash): a sweep over truncations and byte
// mutations of a real file backs that up (the libFuzzer target fuzz_tlbc goes further).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/vm/vm_test_util.h"
#include "vm/bytecode/disasm.h"
#include "vm/bytecode/opcodes_doc.h"
#include "vm/bytecode/tlbc_file.h"
#include "vm/bytecode/verifier.h"
#include "vm/core/error.h"
#include "vm/cpu/cpu_backend.h"

namespace tl {
namespace {

Module sample_module() {
  ModuleBuilder mb;
  uint32_t src = mb.source("prog.tl");
  uint32_t main = mb.declare_function("<script>", 0);
  uint32_t fib = mb.declare_function("fib", 1);
  mb.set_entry(main);
  auto& g = mb.function(fib);
  g.set_source(src);
  g.at(1, 1);
  g.emit(OpCode::CLTI, 0, 2 + kOffsetSC, 1);
  g.emit(OpCode::RETURN, 0, 1);
  g.at(2, 10);
  g.emit(OpCode::ADDI, 2, 0, -1 + kOffsetSC);
  g.emit(OpCode::CALL, 1, static_cast<int>(fib));
  g.emit(OpCode::ADDI, 3, 0, -2 + kOffsetSC);
  g.emit(OpCode::CALL, 2, static_cast<int>(fib));
  g.emit(OpCode::ADD, 1, 1, 2);
  g.emit(OpCode::RETURN, 1, 1);
  auto& f = mb.function(main);
  f.set_source(src);
  f.at(4, 1);
  f.emit(OpCode::LOADK, 1, static_cast<int>(mb.constant(int64_t{15})));
  f.emit(OpCode::CALL, 0, static_cast<int>(fib));
  f.emit(OpCode::MOVE, 2, 0);
  f.emit(OpCode::LOADK, 5, static_cast<int>(mb.constant(2.5)));
  f.emit(OpCode::LOADK, 6, static_cast<int>(mb.constant("fib(15) =")));
  f.emit(OpCode::LOADK, 7, static_cast<int>(mb.constant(ShapeConst{{-1, 4}})));
  f.at(5, 3);
  f.emit(OpCode::LOADNONE, 3, 0);  // print's end and stderr: none
  f.emit(OpCode::LOADNONE, 4, 0);
  f.call_builtin(1, Builtin::Print, 3);  // R[2]; end, stderr: R[3], R[4] (none)
  f.emit(OpCode::RETURN, 0, 0);
  return mb.finish();
}

std::string read_error(const std::vector<uint8_t>& bytes) {
  try {
    read_module(bytes);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

void fix_crc(std::vector<uint8_t>& b) {
  uint32_t crc = crc32(std::span<const uint8_t>(b).subspan(12));
  for (int i = 0; i < 4; ++i) b[8 + i] = static_cast<uint8_t>(crc >> (8 * i));
}

// A module with one function `code` of `regs` registers (and `spills` spill slots), written
// without verification.
std::string bad_code(std::vector<Instr> code, int regs = 2, std::vector<Constant> k = {},
                     int spills = 0) {
  Module m;
  m.constants = std::move(k);
  Proto p;
  p.name = "f";
  p.num_regs = static_cast<uint8_t>(regs);
  p.num_spills = static_cast<uint16_t>(spills);
  p.code = std::move(code);
  m.functions.push_back(p);
  return read_error(write_module(m));
}

// Writes and reads m back: the same module, and the same bytes when written again.
Module round_trip(const Module& m) {
  std::vector<uint8_t> bytes = write_module(m);
  Module back = read_module(bytes);
  EXPECT_EQ(back, m);
  EXPECT_EQ(write_module(back), bytes);
  return back;
}

TEST(TlbcFile, RoundTrip) {
  EXPECT_EQ(test::run_module(round_trip(sample_module())).out, "610\n");
}

TEST(TlbcFile, RoundTripWithoutDebugInfo) {
  Module m = sample_module();
  for (auto& p : m.functions) p.lines.clear();
  m.sources.clear();
  Module back = read_module(write_module(m));
  EXPECT_EQ(back, m);
}

TEST(TlbcReader, Truncated) {
  auto b = write_module(sample_module());
  b.resize(b.size() - 7);
  EXPECT_NE(read_error(b).find("file size mismatch"), std::string::npos) << read_error(b);
  b.resize(10);
  EXPECT_NE(read_error(b).find("truncated"), std::string::npos) << read_error(b);
  EXPECT_NE(read_error({}).find("bad magic"), std::string::npos);
}

TEST(TlbcReader, BadMagic) {
  auto b = write_module(sample_module());
  b[0] = 'X';
  EXPECT_EQ(read_error(b), "not a TL bytecode file (bad magic; expected \"TLBC\")");
}

TEST(TlbcReader, BadVersion) {
  auto b = write_module(sample_module());
  b[4] = 99;
  EXPECT_EQ(read_error(b), "unsupported bytecode format version 99 (this VM reads " +
                               std::to_string(kTlbcVersion) +
                               "): compile the .tl file again with this toolchain's `tl compile`");
}

TEST(TlbcReader, BadChecksum) {
  auto b = write_module(sample_module());
  b[b.size() - 30] ^= 0x40;
  EXPECT_EQ(read_error(b), "checksum mismatch: the file is corrupted");
}

TEST(TlbcReader, SectionOutsideFile) {
  auto b = write_module(sample_module());
  b[24] = 0xff, b[25] = 0xff;  // offset of the first section
  fix_crc(b);
  EXPECT_NE(read_error(b).find("outside the file"), std::string::npos) << read_error(b);
}

TEST(TlbcVerifier, RegisterOutOfRange) {
  EXPECT_EQ(bad_code({make_abc(OpCode::ADD, 5, 0, 0), make_abc(OpCode::RETURN, 0, 0, 0)}),
            "invalid bytecode: function 'f' pc 0 (ADD): register 5 (A) out of range: the frame has "
            "2 registers");
}

TEST(TlbcVerifier, SpillSlotOutOfRange) {
  const Instr ret = make_abc(OpCode::RETURN, 0, 0, 0);
  // No spill slots at all: any GETSPILL/SETSPILL is out of range.
  EXPECT_EQ(bad_code({make_abx(OpCode::GETSPILL, 0, 0), ret}),
            "invalid bytecode: function 'f' pc 0 (GETSPILL): spill slot 0 (Bx) out of range: the "
            "frame has 0 spill slots");
  EXPECT_EQ(bad_code({make_abx(OpCode::SETSPILL, 1, 300), ret}, 2, {}, 300),
            "invalid bytecode: function 'f' pc 0 (SETSPILL): spill slot 300 (Bx) out of range: the "
            "frame has 300 spill slots");
  EXPECT_EQ(bad_code({make_abx(OpCode::SETSPILL, 1, 65535), ret}, 2, {}, 65535),
            "invalid bytecode: function 'f' pc 0 (SETSPILL): spill slot 65535 (Bx) out of range: "
            "the frame has 65535 spill slots");
  // The register operand is checked as well.
  EXPECT_EQ(bad_code({make_abx(OpCode::GETSPILL, 2, 0), ret}, 2, {}, 1),
            "invalid bytecode: function 'f' pc 0 (GETSPILL): register 2 (A) out of range: the "
            "frame has 2 registers");
  // In range: accepted.
  EXPECT_EQ(bad_code({make_abx(OpCode::SETSPILL, 1, 299), make_abx(OpCode::GETSPILL, 0, 299), ret},
                     2, {}, 300),
            "");
}

// print(sum(n)), where sum keeps its argument in spill slot 299 across its recursive call: each
// frame has its own slots, and they are popped on return.
Module spill_sum_module(int n) {
  ModuleBuilder mb;
  uint32_t main = mb.declare_function("<script>", 0);
  uint32_t sum = mb.declare_function("sum", 1);  // sum(n) = n + sum(n - 1), sum(0) = 0
  mb.set_entry(main);
  auto& g = mb.function(sum);
  g.emit(OpCode::SETSPILL, 0, 299);
  g.emit(OpCode::CLTI, 0, 1 + kOffsetSC, 1);  // if n < 1
  g.emit(OpCode::RETURN, 0, 1);               //   return n
  g.emit(OpCode::ADDI, 2, 0, -1 + kOffsetSC);
  g.emit(OpCode::CALL, 1, static_cast<int>(sum));
  g.emit(OpCode::GETSPILL, 2, 299);
  g.emit(OpCode::ADD, 1, 1, 2);
  g.emit(OpCode::RETURN, 1, 1);
  auto& f = mb.function(main);
  f.emit(OpCode::LOADI, 1, n);
  f.emit(OpCode::CALL, 0, static_cast<int>(sum));
  f.emit(OpCode::SETSPILL, 0, 0);
  f.emit(OpCode::GETSPILL, 2, 0);
  f.emit(OpCode::LOADNONE, 3, 0);
  f.emit(OpCode::LOADNONE, 4, 0);
  f.call_builtin(1, Builtin::Print, 3);
  f.emit(OpCode::RETURN, 0, 0);
  return mb.finish();
}

TEST(TlbcFile, SpillSlotsRoundTripRunAndDisassemble) {
  const Module m = spill_sum_module(100);
  EXPECT_EQ(m.functions[1].num_spills, 300);
  EXPECT_EQ(m.functions[0].num_spills, 1);
  EXPECT_EQ(test::run_module(round_trip(m)).out, "5050\n");
  // Deeper than the spill stack holds (2^20 values, 300 a frame): an error, not a write past it;
  // and the slots of the frames unwound are free again for the next run of the same VM.
  const test::RunResult deep = test::run_module(spill_sum_module(5000), nullptr, 100000);
  EXPECT_NE(deep.error.find("stack overflow: out of spill slots"), std::string::npos) << deep.error;
  EXPECT_EQ(test::run_module(spill_sum_module(3000), nullptr, 100000).out, "4501500\n");
  std::ostringstream out;
  disassemble(m, out, {});
  EXPECT_NE(out.str().find("function 1 sum (1 params, 3 registers, 300 spill slots, 8 "
                           "instructions)"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("GETSPILL    2 299"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("SETSPILL    0 299"), std::string::npos) << out.str();
}

TEST(TlbcVerifier, JumpOutOfRange) {
  EXPECT_EQ(
      bad_code({make_asbx(OpCode::JMP, 0, 100), make_abc(OpCode::RETURN, 0, 0, 0)}),
      "invalid bytecode: function 'f' pc 0 (JMP): jump target 101 outside the function (0..1)");
  EXPECT_NE(bad_code({make_asbx(OpCode::JMP, 0, -2)}).find("jump target -1"), std::string::npos);
}

TEST(TlbcVerifier, BadConstantIndex) {
  EXPECT_EQ(bad_code({make_abx(OpCode::LOADK, 0, 3), make_abc(OpCode::RETURN, 0, 0, 0)}, 2,
                     {Constant(int64_t{1})}),
            "invalid bytecode: function 'f' pc 0 (LOADK): constant index 3 (Bx) out of range: the "
            "pool has 1 constants");
  EXPECT_NE(bad_code({make_abc(OpCode::GETMEMBER, 0, 1, 0), make_abc(OpCode::RETURN, 0, 0, 0)}, 2,
                     {Constant(int64_t{1})})
                .find("constant 0 must be a string"),
            std::string::npos);
}

TEST(TlbcVerifier, BadBuiltinId) {
  EXPECT_EQ(bad_code({make_abc(OpCode::CALLB, 0, 200, 0), make_abc(OpCode::RETURN, 0, 0, 0)}),
            "invalid bytecode: function 'f' pc 0 (CALLB): builtin id 200 out of range (" +
                std::to_string(kBuiltinCount) + " builtins)");
}

TEST(TlbcVerifier, BuiltinArity) {
  int len = static_cast<int>(Builtin::Len), softmax = static_cast<int>(Builtin::Softmax);
  EXPECT_EQ(bad_code({make_abc(OpCode::CALLB, 0, len, 0), make_abc(OpCode::RETURN, 0, 0, 0)}),
            "invalid bytecode: function 'f' pc 0 (CALLB): builtin 'len' called with 0 arguments; "
            "it takes 1");
  EXPECT_NE(bad_code({make_abc(OpCode::CALLB, 0, softmax, 3), make_abc(OpCode::RETURN, 0, 0, 0)}, 8)
                .find("builtin 'softmax' called with 3 arguments; it takes 1 to 2"),
            std::string::npos);
  // Arguments past the frame.
  EXPECT_NE(bad_code({make_abc(OpCode::CALLB, 0, len, 1), make_abc(OpCode::RETURN, 0, 0, 0)}, 1)
                .find("register 1 (builtin arguments) out of range"),
            std::string::npos);
}

TEST(TlbcVerifier, CallArity) {
  Module m;
  Proto f;
  f.name = "main";
  f.num_regs = 2;
  f.code = {make_abx(OpCode::CALL, 0, 1), make_abc(OpCode::RETURN, 0, 0, 0)};
  Proto g;
  g.name = "g";
  g.num_params = 3;
  g.num_regs = 3;
  g.code = {make_abc(OpCode::RETURN, 0, 0, 0)};
  m.functions = {f, g};
  EXPECT_EQ(read_error(write_module(m)),
            "invalid bytecode: function 'main' pc 0 (CALL): register 3 (call arguments) out of "
            "range: the frame has 2 registers");
  m.functions[0].code[0] = make_abx(OpCode::CALL, 0, 7);
  EXPECT_NE(read_error(write_module(m)).find("function index 7 out of range"), std::string::npos);
}

TEST(TlbcVerifier, StructuralChecks) {
  EXPECT_NE(bad_code({make_abc(OpCode::LOADI, 0, 0, 0)}).find("must end in RETURN or JMP"),
            std::string::npos);
  EXPECT_NE(
      bad_code({make_abc(static_cast<OpCode>(250), 0, 0, 0), make_abc(OpCode::RETURN, 0, 0, 0)})
          .find("unknown opcode 250"),
      std::string::npos);
  EXPECT_NE(bad_code({make_abc(OpCode::TEST, 0, 0, 0), make_abc(OpCode::RETURN, 0, 0, 0)})
                .find("conditional skip past the end"),
            std::string::npos);
  EXPECT_NE(bad_code({make_abc(OpCode::TUNARY, 0, 0, 99), make_abc(OpCode::RETURN, 0, 0, 0)})
                .find("unary op 99 out of range"),
            std::string::npos);
  EXPECT_NE(bad_code({}).find("no code"), std::string::npos);
  Module m;
  EXPECT_EQ(read_error(write_module(m)), "invalid bytecode: no functions");
}

// ---- fused element-wise programs (constant kind 4, ELEMWISE) ----------------------------------

using EP = ElementwiseProgram;
EP::Step ep_step(EP::StepKind k, int op, uint16_t a, uint16_t b = 0) {
  return {k, static_cast<uint8_t>(op), a, b};
}
// gelu(x0 * s1 + x2)
EP gelu_program() {
  return EP{{EP::InputKind::Tensor, EP::InputKind::Scalar, EP::InputKind::Tensor},
            {ep_step(EP::StepKind::Binary, static_cast<int>(BinaryOp::Mul), 0, 1),
             ep_step(EP::StepKind::Binary, static_cast<int>(BinaryOp::Add), 3, 2),
             ep_step(EP::StepKind::Unary, static_cast<int>(UnaryOp::Gelu), 4)}};
}

// R1 = ones(2, 3), R2 = 0.5, R3 = ones(3); R0 = ELEMWISE(gelu program)(R1, R2, R3); print(R0)
Module fused_module() {
  test::Script s(12);
  auto& f = s.f();
  f.emit(OpCode::LOADI, 5, 2);
  f.emit(OpCode::LOADI, 6, 3);
  f.call_builtin(4, Builtin::Ones, 2);
  f.emit(OpCode::MOVE, 1, 4);
  f.emit(OpCode::LOADK, 2, static_cast<int>(s.mb.constant(0.5)));
  f.emit(OpCode::LOADI, 5, 3);
  f.call_builtin(4, Builtin::Ones, 1);
  f.emit(OpCode::MOVE, 3, 4);
  f.emit(OpCode::ELEMWISE, 0, static_cast<int>(s.mb.constant(gelu_program())));
  s.print({0}, 8);
  return s.finish();
}

TEST(TlbcFile, FusedProgramRoundTripsAndDisassembles) {
  Module back = round_trip(fused_module());
  std::ostringstream out;
  disassemble(back, out);
  EXPECT_NE(out.str().find("fused   (tensor, f32, tensor) { %0 = x0 * x1:f32; %1 = %0 + x2; "
                           "%2 = gelu(%1) }"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("ELEMWISE    0 "), std::string::npos) << out.str();
}

TEST(TlbcVerifier, MalformedFusedPrograms) {
  const Instr ret = make_abc(OpCode::RETURN, 0, 0, 0);
  // A step that refers to itself (a forward reference).
  EP fwd = gelu_program();
  fwd.steps[1].b = 4;
  EXPECT_NE(bad_code({make_abx(OpCode::ELEMWISE, 0, 0), ret}, 4, {Constant(fwd)})
                .find("constant 0: malformed fused element-wise program: step 1 uses operand 4"),
            std::string::npos);
  EP op = gelu_program();
  op.steps[2].op = 200;
  EXPECT_NE(bad_code({make_abx(OpCode::ELEMWISE, 0, 0), ret}, 4, {Constant(op)})
                .find("unary op 200 out of range"),
            std::string::npos);
  // Inputs past the frame: 3 inputs need R[A+1..A+3].
  EXPECT_NE(bad_code({make_abx(OpCode::ELEMWISE, 1, 0), ret}, 4, {Constant(gelu_program())})
                .find("register 4 (result, inputs) out of range"),
            std::string::npos);
  // Bx must name a program; LOADK must not load one.
  EXPECT_NE(bad_code({make_abx(OpCode::ELEMWISE, 0, 0), ret}, 4, {Constant(int64_t{3})})
                .find("constant 0 must be a fused element-wise program"),
            std::string::npos);
  EXPECT_NE(bad_code({make_abx(OpCode::LOADK, 0, 0), ret}, 4, {Constant(gelu_program())})
                .find("is a fused element-wise program, not a value"),
            std::string::npos);
  // Truncated program bytes inside the constants section.
  Module m;
  m.constants = {Constant(gelu_program())};
  Proto p;
  p.name = "f";
  p.code = {ret};
  m.functions.push_back(p);
  auto b = write_module(m);
  EXPECT_EQ(read_error(b), "");
  // Constants section: u32 count, u8 kind 4, u8 inputs = 3; claim 200 inputs.
  const uint32_t consts_at = b[24] | b[25] << 8 | b[26] << 16 | static_cast<uint32_t>(b[27]) << 24;
  b[consts_at + 5] = 200;
  fix_crc(b);
  EXPECT_NE(read_error(b).find("truncated"), std::string::npos) << read_error(b);
}

TEST(TlbcFile, FusedProgramRuns) {
  Module m = read_module(write_module(fused_module()));
  CpuBackend cpu{CpuOptions{.threads = 1}};
  const auto r = test::run_module(m, &cpu);
  EXPECT_EQ(r.error, "");
  // gelu(1 * 0.5 + 1) = gelu(1.5) = 1.39957... (f16 1.3994)
  EXPECT_EQ(r.out, "[[1.3994, 1.3994, 1.3994], [1.3994, 1.3994, 1.3994]]\n");
}

// Every truncation and every single-byte change of a real file (CRC fixed up, so the parser and
// the verifier see the damage) loads or is rejected with FormatError: nothing else escapes.
TEST(TlbcReader, MutationSweep) {
  for (const Module& sample : {sample_module(), fused_module()}) {
    auto good = write_module(sample);
    size_t rejected = 0;
    for (size_t n = 0; n < good.size(); ++n) {
      std::vector<uint8_t> b(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
      EXPECT_NE(read_error(b), "");
    }
    for (size_t i = 0; i < good.size(); ++i) {
      for (uint8_t v : {uint8_t{0}, uint8_t{1}, uint8_t{0x7f}, uint8_t{0xff}}) {
        auto b = good;
        if (b[i] == v) continue;
        b[i] = v;
        fix_crc(b);
        if (!read_error(b).empty()) ++rejected;
      }
    }
    EXPECT_GT(rejected, good.size());  // most damage is caught
  }
}

TEST(Disasm, ListsConstantsInstructionsAndSource) {
  auto dir = std::filesystem::temp_directory_path() / "tl_disasm_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "prog.tl")
      << "fn fib(n) { if n < 2 { return n }\n  fib(n - 1) + fib(n - 2) }\n\n"
         "print(fib(15))\n  print(2.5)\n";
  std::ostringstream out;
  disassemble(sample_module(), out, dir);
  std::string s = out.str();
  EXPECT_NE(s.find("K2    string  \"fib(15) =\""), std::string::npos) << s;
  EXPECT_NE(s.find("K3    shape   [?, 4]"), std::string::npos) << s;
  EXPECT_NE(s.find("function 1 fib (1 params, 4 registers, 8 instructions) from prog.tl"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("      2 |   fib(n - 1) + fib(n - 2) }"), std::string::npos) << s;
  EXPECT_NE(s.find("CALL        1 1             ; fn fib"), std::string::npos) << s;
  EXPECT_NE(s.find("CALLB       1 5 3           ; print"), std::string::npos) << s;
  EXPECT_NE(s.find("CLTI        0 129 1         ; sB = 2"), std::string::npos) << s;
}

TEST(Docs, OpcodeTableMatchesOpcodesDef) {
  std::ifstream in(std::string(TL_TESTS_DIR) + "/../docs/bytecode.md");
  ASSERT_TRUE(in) << "docs/bytecode.md missing";
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(with_opcode_table(ss.str()), ss.str())
      << "docs/bytecode.md is out of date: cmake --build build --target gen_bytecode_doc_run";
}

}  // namespace
}  // namespace tl
