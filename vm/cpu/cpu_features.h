// What the CPU running this process can do, read once from cpuid (and the OS's XSAVE state), and
// which kernels the CPU backend picks from it. The build targets baseline x86-64; every faster
// path is compiled with a function-level target attribute (simd.h) and chosen here at run time,
// so one binary runs on any x86-64 machine and uses what the one it runs on has.
#pragma once

#include <string>

namespace tl::cpu {

struct CpuFeatures {
  std::string model;  // the brand string, e.g. "AMD EPYC 9R14 96-Core Processor"
  bool avx2 = false, fma = false, f16c = false;
  // AVX-512 F+BW+VL+DQ with the OS saving the ZMM state.
  bool avx512 = false;
  bool avx512_vnni = false, avx512_bf16 = false, avx512_fp16 = false;
  bool avx_vnni = false;  // VEX-encoded VPDPBUSD (Alder Lake, Zen 5, ...)
  bool amx_int8 = false, amx_bf16 = false;
  // AMX tile data granted by Linux (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)).
  bool amx_permitted = false;
  std::string flags() const;  // the flags above that are set, space-separated
};

// The instruction-set tier a kernel family runs at.
enum class Isa { Portable, Avx2, Avx512 };
const char* isa_name(Isa);

// The kernels the CPU backend uses on this machine.
// (The int8 dot products pick their instructions from the tier and the features: quant_q8.cpp.)
struct KernelChoice {
  Isa isa = Isa::Portable;  // f16 conversion, f16 GEMM/matvec, quantized dot products
};

// Read once per process (cpuid does not change under a running process). TL_CPU_ISA=portable,
// avx2 or avx512 caps the tier (for testing the fallbacks on a machine that has more).
const CpuFeatures& host_cpu();
const KernelChoice& host_kernels();

// Pure: the choice for given features and an optional cap ("" = none). Tested directly.
KernelChoice choose_kernels(const CpuFeatures& f, const std::string& cap);

}  // namespace tl::cpu
