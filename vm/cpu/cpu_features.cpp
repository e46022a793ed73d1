#include "vm/cpu/cpu_features.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define TL_CPU_X86 1
#endif
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace tl::cpu {

namespace {

#ifdef TL_CPU_X86
struct Regs {
  unsigned a = 0, b = 0, c = 0, d = 0;
};
Regs cpuid(unsigned leaf, unsigned sub = 0) {
  Regs r;
  __cpuid_count(leaf, sub, r.a, r.b, r.c, r.d);
  return r;
}
uint64_t xgetbv0() {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t{hi} << 32) | lo;
}
bool bit(unsigned v, int i) {
  return (v >> i) & 1u;
}

// Linux hands out the AMX tile-data state only to a process that asks (since 5.16).
bool request_amx_permission() {
#if defined(__linux__)
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

CpuFeatures detect() {
  CpuFeatures f;
  const unsigned max_leaf = cpuid(0).a;
  if (cpuid(0x80000000).a >= 0x80000004) {
    char brand[49] = {};
    for (unsigned i = 0; i < 3; ++i) {
      const Regs r = cpuid(0x80000002 + i);
      std::memcpy(brand + 16 * i, &r, 16);
    }
    f.model = brand;
    while (!f.model.empty() && f.model.back() == ' ') f.model.pop_back();
    while (!f.model.empty() && f.model.front() == ' ') f.model.erase(0, 1);
  }
  if (max_leaf < 7) return f;
  const Regs l1 = cpuid(1);
  const bool osxsave = bit(l1.c, 27);
  const uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  const bool ymm = (xcr0 & 0x6) == 0x6;            // SSE + AVX state
  const bool zmm = ymm && (xcr0 & 0xe0) == 0xe0;   // opmask, ZMM_Hi256, Hi16_ZMM
  const bool tiles = (xcr0 & 0x60000) == 0x60000;  // XTILECFG, XTILEDATA
  const Regs l7 = cpuid(7, 0);
  const Regs l71 = cpuid(7, 1);
  f.fma = ymm && bit(l1.c, 12);
  f.f16c = ymm && bit(l1.c, 29);
  f.avx2 = ymm && bit(l7.b, 5);
  f.avx512 = zmm && bit(l7.b, 16) && bit(l7.b, 17) && bit(l7.b, 30) && bit(l7.b, 31);
  f.avx512_vnni = f.avx512 && bit(l7.c, 11);
  f.avx512_fp16 = f.avx512 && bit(l7.d, 23);
  f.avx512_bf16 = f.avx512 && bit(l71.a, 5);
  f.avx_vnni = ymm && bit(l71.a, 4);
  f.amx_bf16 = tiles && bit(l7.d, 22);
  f.amx_int8 = tiles && bit(l7.d, 25);
  if (f.amx_int8 || f.amx_bf16) f.amx_permitted = request_amx_permission();
  return f;
}
#else
CpuFeatures detect() {
  return {};
}
#endif

}  // namespace

std::string CpuFeatures::flags() const {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(avx2, "avx2");
  add(fma, "fma");
  add(f16c, "f16c");
  add(avx512, "avx512f/bw/vl/dq");
  add(avx512_vnni, "avx512_vnni");
  add(avx512_bf16, "avx512_bf16");
  add(avx512_fp16, "avx512_fp16");
  add(avx_vnni, "avx_vnni");
  add(amx_int8, "amx_int8");
  add(amx_bf16, "amx_bf16");
  if (amx_int8 || amx_bf16) add(true, amx_permitted ? "(amx granted)" : "(amx refused by the OS)");
  return s.empty() ? "(baseline x86-64 only)" : s;
}

const char* isa_name(Isa i) {
  switch (i) {
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx2:
      return "avx2";
    default:
      return "portable";
  }
}

KernelChoice choose_kernels(const CpuFeatures& f, const std::string& cap) {
  KernelChoice k;
  const bool allow512 = cap.empty() || cap == "avx512";
  const bool allow2 = allow512 || cap == "avx2";
  if (allow512 && f.avx512 && f.fma && f.f16c)
    k.isa = Isa::Avx512;
  else if (allow2 && f.avx2 && f.fma && f.f16c)
    k.isa = Isa::Avx2;
  return k;
}

const CpuFeatures& host_cpu() {
  static const CpuFeatures f = detect();
  return f;
}

const KernelChoice& host_kernels() {
  static const KernelChoice k = [] {
    const char* cap = std::getenv("TL_CPU_ISA");
    return choose_kernels(host_cpu(), cap ? cap : "");
  }();
  return k;
}

}  // namespace tl::cpu
