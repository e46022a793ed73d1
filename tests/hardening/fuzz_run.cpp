// libFuzzer: any source text is parsed, checked, compiled and, when it compiles, run on the CPU
// backend under a step budget (loops and calls) and a memory budget (tensor bytes). Whatever the
// program does, the toolchain must end with diagnostics, a VmError or output: a crash, a sanitizer
// report, a hang or another exception is a bug. The first input byte picks a prelude of tensors,
// so that mutations reach tensor ops quickly. Seeds: tests/run/cases.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "compiler/codegen/codegen.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"
#include "vm/cpu/cpu_backend.h"
#include "vm/runtime/interp.h"

extern "C" const char* __asan_default_options() {
  return "allocator_may_return_null=1";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* const kPreludes[] = {
      "",
      "let t = ones(2, 3)\nlet u = tensor<float16>([1.0, 2.0, 3.0])\n",
      "let m = zeros(4, 4) + 1.5\nlet v = ones(4)\n",
  };
  std::string text;
  if (size > 0) text = kPreludes[data[0] % 3], ++data, --size;
  text.append(reinterpret_cast<const char*>(data), size);
  tl::SourceManager sources;
  tl::sema::AnalysisContext ctx(sources);
  auto tree = tl::parse(sources.add("fuzz.tl", std::move(text)));
  auto analysis = tl::sema::analyze(*tree, ctx);
  for (const auto& d : analysis->diagnostics)
    if (d.severity == tl::Severity::Error) return 0;
  tl::DiagnosticSink sink;
  auto module = tl::compile_program({tree.get(), analysis.get()}, {}, sink);
  if (!module) return 0;
  tl::CpuBackend cpu{tl::CpuOptions{.threads = 1, .allocation_budget = uint64_t{64} << 20}};
  std::ostringstream out;
  tl::VmOptions opts;
  opts.backend = &cpu;
  opts.out = &out;
  opts.max_call_depth = 200;
  opts.step_budget = 20000;
  try {
    tl::Vm vm(*module, opts);
    vm.run();
  } catch (const tl::VmError&) {
  }
  return 0;
}
