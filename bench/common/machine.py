"""The header every side-by-side bench prints: which machine measured the figures below it.

CPU model and the SIMD flags that matter here (from /proc/cpuinfo), core count, load average at
the start (a loaded machine makes wall times noisy: say so beside the figures), date, and the
kernels `tl version --verbose` reports it chose on this machine.
"""
import datetime
import os
import platform
import subprocess

FLAGS = ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni",
         "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16"]


def cpu_model_and_flags():
    model, flags = platform.processor() or "unknown", set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name":
                    model = value.strip()
                elif key == "flags":
                    flags = set(value.split())
                    break
    except OSError:
        pass
    return model, [f for f in FLAGS if f in flags]


def header(tl=None):
    """Lines (each starting with '# ') describing this machine and this moment."""
    model, flags = cpu_model_and_flags()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"machine: {model}, {os.cpu_count()} cores; flags: {' '.join(flags) or '(none of note)'}",
        f"date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
        f"load average at start: {load:.1f}" + (" (loaded: wall times are noisy)" if load > 2.5 else ""),
    ]
    if tl:
        out = subprocess.run([tl, "version", "--verbose"], capture_output=True, text=True,
                             check=False).stdout
        lines += [l for l in out.splitlines() if l.startswith("kernels:")]
    return "\n".join("# " + l for l in lines)
