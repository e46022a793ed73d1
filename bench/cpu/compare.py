#!/usr/bin/env python3
"""Runs tl_cpu_bench (Google Benchmark) and numpy_matmul.py and prints one side-by-side table.

Usage: compare.py --bench build/bin/tl_cpu_bench --numpy bench/cpu/numpy_matmul.py
"""
import argparse
import json
import subprocess
import sys

# benchmark name in cpu_bench.cpp -> (row label, numpy result name or None)
ROWS = [
    ("BM_Matmul/512/4096/4096/real_time", "matmul [512,4096] @ [4096,4096]",
     "matmul 512x4096 @ 4096x4096"),
    ("BM_Matmul/1024/1024/1024/real_time", "matmul [1024,1024] @ [1024,1024]",
     "matmul 1024x1024 @ 1024x1024"),
    ("BM_Linear/512/4096/4096/0/real_time", "linear x[512,4096], W[4096,4096] F16",
     "linear 512x4096, W 4096x4096"),
    ("BM_Linear/128/2048/5632/0/real_time", "prefill x[128,2048], W[5632,2048] F16", None),
    ("BM_Linear/128/2048/5632/8/real_time", "prefill x[128,2048], W[5632,2048] Q8_0", None),
    ("BM_Linear/128/2048/5632/4/real_time", "prefill x[128,2048], W[5632,2048] Q4_0", None),
    ("BM_Linear/128/2048/5632/12/real_time", "prefill x[128,2048], W[5632,2048] Q4_K", None),
    ("BM_Linear/128/2048/5632/14/real_time", "prefill x[128,2048], W[5632,2048] Q6_K", None),
    ("BM_Linear/1/4096/4096/0/real_time", "matvec x[1,4096], W[4096,4096] F16",
     "matvec 1x4096, W 4096x4096"),
    ("BM_Linear/1/4096/4096/8/real_time", "matvec x[1,4096], W[4096,4096] Q8_0", None),
    ("BM_Linear/1/4096/4096/4/real_time", "matvec x[1,4096], W[4096,4096] Q4_0", None),
    ("BM_Linear/1/4096/4096/12/real_time", "matvec x[1,4096], W[4096,4096] Q4_K", None),
    ("BM_Linear/1/4096/4096/14/real_time", "matvec x[1,4096], W[4096,4096] Q6_K", None),
    ("BM_MatvecDram/14336/4096/0/0/real_time", "matvec K=14336 N=4096 F16, from DRAM", None),
    ("BM_MatvecDram/14336/4096/8/0/real_time", "matvec K=14336 N=4096 Q8_0, from DRAM", None),
    ("BM_MatvecDram/14336/4096/4/0/real_time", "matvec K=14336 N=4096 Q4_0, from DRAM", None),
    ("BM_MatvecDram/14336/4096/8/1/real_time", "  the same Q8_0, repacked (a model's)", None),
    ("BM_MatvecDram/14336/4096/4/1/real_time", "  the same Q4_0, repacked (a model's)", None),
    ("BM_MatvecDram/14336/4096/12/0/real_time", "matvec K=14336 N=4096 Q4_K, from DRAM", None),
    ("BM_MatvecDram/14336/4096/14/0/real_time", "matvec K=14336 N=4096 Q6_K, from DRAM", None),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bench", required=True)
    ap.add_argument("--numpy", required=True)
    ap.add_argument("--python", default=sys.executable, help="a Python that has NumPy")
    ap.add_argument("--min-time", default="0.5")
    args = ap.parse_args()
    out = subprocess.run([args.bench, "--benchmark_format=json",
                          f"--benchmark_min_time={args.min_time}"],
                         check=True, capture_output=True, text=True).stdout
    ours = {b["name"]: b for b in json.loads(out)["benchmarks"]}
    np_out = subprocess.run([args.python, args.numpy, "--json"], check=True,
                            capture_output=True, text=True).stdout
    theirs = json.loads(np_out)["results"]

    head = (f"{'shape':38s} | {'tl_cpu ms':>9s} {'GFLOP/s':>8s} {'GB/s W':>7s} "
            f"{'cpuGF/s':>8s} {'cpuGB/s':>8s} | {'numpy ms':>9s} {'GFLOP/s':>8s} {'GB/s W':>7s} "
            f"{'cpuGF/s':>8s} {'cpuGB/s':>8s}")
    print(head)
    print("-" * len(head))
    for key, label, np_key in ROWS:
        b = ours.get(key)
        if b is None:
            continue
        ms = b["real_time"] / {"ms": 1, "us": 1e3, "ns": 1e6}[b["time_unit"]]
        has_w = "weights_GB/s" in b
        mine = f"{ms:9.3f} {b['GFLOP/s'] / 1e9:8.1f} "
        mine += f"{b['weights_GB/s'] / 1e9:7.1f} " if has_w else f"{'':7s} "
        mine += f"{b['cpu_GFLOP/s']:8.1f} "
        mine += f"{b['cpu_weights_GB/s']:8.1f}" if has_w else f"{'':8s}"
        other = ""
        if np_key and np_key in theirs:
            r = theirs[np_key]
            other = (f"{r['seconds'] * 1e3:9.3f} {r['gflops']:8.1f} {r['weights_gbs']:7.1f} "
                     f"{r['cpu_gflops']:8.1f} {r['cpu_weights_gbs']:8.1f}")
        print(f"{label:38s} | {mine} | {other}")
    triad = ours.get("BM_Triad/real_time")
    if triad:
        bw = triad["GB/s"] / 1e9
        print(f"\nmemory bandwidth (STREAM-like triad, all threads): {bw:.1f} GB/s")
        for key, label, _ in ROWS:
            b = ours.get(key)
            if b and "MatvecDram" in key:
                print(f"  {label}: {b['weights_GB/s'] / 1e9:.1f} GB/s of weights = "
                      f"{b['weights_GB/s'] / 1e9 / bw:.0%} of the triad")
    print("\nGB/s W: bytes of weights streamed per second (f16 / Q8_0 / Q4_0 / Q4_K / Q6_K blocks "
          "for tl_cpu, f32 for numpy).\ncpuGF/s, cpuGB/s: the same work per CPU-second of the "
          "process times the thread count, i.e. the rate while the threads run (the machine is shared).")


if __name__ == "__main__":
    main()
