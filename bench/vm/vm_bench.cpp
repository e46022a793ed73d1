// VM vs Lua 5.4 on the same three programs (bench/vm/*.lua), built here with ModuleBuilder since
// the compiler is not part of this layer. Prints one table; best of N runs each.
//   vm_bench [--runs N] [--lua PATH]
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "vm/bytecode/builder.h"
#include "vm/runtime/interp.h"

namespace {

using namespace tl;

Module fib_program(int n) {
  ModuleBuilder mb;
  uint32_t main = mb.declare_function("<script>", 0);
  uint32_t fib = mb.declare_function("fib", 1);
  mb.set_entry(main);
  auto& g = mb.function(fib);
  g.emit(OpCode::CLTI, 0, 2 + kOffsetSC, 1);  // if n < 2
  g.emit(OpCode::RETURN, 0, 1);               //   return n
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
  f.call_builtin(1, Builtin::Print, 3);  // end, stderr: none
  f.emit(OpCode::RETURN, 0, 0);
  return mb.finish();
}

// s = 0; for i in range(10000000) { s = (s + i * 3) % 1000003 }; print(s)
Module loop_program() {
  ModuleBuilder mb;
  uint32_t main = mb.declare_function("<script>", 0);
  mb.set_entry(main);
  auto& f = mb.function(main);
  f.emit(OpCode::LOADI, 0, 0);  // s
  f.emit(OpCode::LOADI, 1, 0);  // start
  f.emit(OpCode::LOADK, 2, static_cast<int>(mb.constant(int64_t{10000000})));
  f.emit(OpCode::LOADI, 3, 1);
  Label body = f.new_label(), done = f.new_label();
  f.jump(OpCode::FORPREP, 1, done);
  f.bind(body);
  f.emit(OpCode::MULK, 5, 4, static_cast<int>(mb.constant(int64_t{3})));
  f.emit(OpCode::ADD, 5, 0, 5);
  f.emit(OpCode::MODK, 0, 5, static_cast<int>(mb.constant(int64_t{1000003})));
  f.jump(OpCode::FORLOOP, 1, body);
  f.bind(done);
  f.emit(OpCode::MOVE, 7, 0);
  f.emit(OpCode::LOADNONE, 8, 0);  // print's end and stderr: none
  f.emit(OpCode::LOADNONE, 9, 0);
  f.call_builtin(6, Builtin::Print, 3);  // end, stderr: none
  f.emit(OpCode::RETURN, 0, 0);
  return mb.finish();
}

// fn add(a, b) { a + b }; s = 0; for i in range(10000000) { s = add(s, i) }; print(s)
Module calls_program() {
  ModuleBuilder mb;
  uint32_t main = mb.declare_function("<script>", 0);
  uint32_t add = mb.declare_function("add", 2);
  mb.set_entry(main);
  auto& g = mb.function(add);
  g.emit(OpCode::ADD, 0, 0, 1);
  g.emit(OpCode::RETURN, 0, 1);
  auto& f = mb.function(main);
  f.reserve_regs(9);
  f.emit(OpCode::LOADI, 0, 0);
  f.emit(OpCode::LOADI, 1, 0);
  f.emit(OpCode::LOADK, 2, static_cast<int>(mb.constant(int64_t{10000000})));
  f.emit(OpCode::LOADI, 3, 1);
  Label body = f.new_label(), done = f.new_label();
  f.jump(OpCode::FORPREP, 1, done);
  f.bind(body);
  f.emit(OpCode::MOVE, 6, 0);
  f.emit(OpCode::MOVE, 7, 4);
  f.emit(OpCode::CALL, 5, static_cast<int>(add));
  f.emit(OpCode::MOVE, 0, 5);
  f.jump(OpCode::FORLOOP, 1, body);
  f.bind(done);
  f.emit(OpCode::MOVE, 7, 0);
  f.emit(OpCode::LOADNONE, 8, 0);  // print's end and stderr: none
  f.emit(OpCode::LOADNONE, 9, 0);
  f.call_builtin(6, Builtin::Print, 3);  // end, stderr: none
  f.emit(OpCode::RETURN, 0, 0);
  return mb.finish();
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::pair<double, std::string> time_vm(const Module& m, int runs) {
  double best = 1e30;
  std::string out;
  for (int r = 0; r < runs; ++r) {
    std::ostringstream os;
    VmOptions opts;
    opts.out = &os;
    auto t0 = std::chrono::steady_clock::now();
    Vm vm(m, opts);
    vm.run();
    best = std::min(best, seconds_since(t0));
    out = os.str();
  }
  return {best, out};
}

std::pair<double, std::string> time_lua(const std::string& lua, const std::string& file, int runs) {
  double best = 1e30;
  std::string out;
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    FILE* p = popen((lua + " " + file).c_str(), "r");
    if (!p) return {-1, ""};
    char buf[256];
    out.clear();
    while (fgets(buf, sizeof buf, p)) out += buf;
    if (pclose(p) != 0) return {-1, ""};
    best = std::min(best, seconds_since(t0));
  }
  return {best, out};
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 3;
  std::string lua = "lua5.4";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--runs")
      runs = std::atoi(argv[i + 1]);
    else if (a == "--lua")
      lua = argv[i + 1];
  }
  struct Case {
    const char* name;
    Module m;
    const char* lua_file;
  };
  Case cases[] = {{"fib(30) recursive", fib_program(30), "fib.lua"},
                  {"10M-iteration arithmetic loop", loop_program(), "loop.lua"},
                  {"10M calls in a loop", calls_program(), "calls.lua"}};
  fmt::print("{:<32} {:>10} {:>10} {:>9}  {}\n", "program (best of " + std::to_string(runs) + ")",
             "tlvm s", "lua5.4 s", "lua/tlvm", "output");
  bool ok = true;
  for (auto& c : cases) {
    auto [vt, vout] = time_vm(c.m, runs);
    auto [lt, lout] = time_lua(lua, std::string(TL_BENCH_DIR) + "/" + c.lua_file, runs);
    if (!vout.empty() && vout.back() == '\n') vout.pop_back();
    if (!lout.empty() && lout.back() == '\n') lout.pop_back();
    bool same = vout == lout;
    ok &= same || lt < 0;
    fmt::print("{:<32} {:>10.3f} {:>10} {:>9}  {}{}\n", c.name, vt,
               lt < 0 ? "n/a" : fmt::format("{:.3f}", lt),
               lt < 0 ? "" : fmt::format("{:.2f}x", lt / vt), vout,
               same || lt < 0 ? "" : " (lua printed " + lout + ")");
  }
  return ok ? 0 : 1;
}
