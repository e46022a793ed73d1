#!/usr/bin/env python3
"""NumPy float32 (OpenBLAS) at the shapes of cpu_bench.cpp, for comparison.

Prints GFLOP/s (2*M*N*K / time) and, for matrix-vector products, GB/s of weights (f32, so
twice the bytes of our f16 weights for the same shape). --json prints a machine-readable dict.
"""
import argparse
import json
import os
import time

import numpy as np

CORES = len(os.sched_getaffinity(0))


def measure(fn, min_time=1.0, min_reps=3):
    """Mean wall time per call, and process CPU time (all threads) per call."""
    fn()  # warm up (thread pool, page faults)
    reps, start, cpu0 = 0, time.perf_counter(), time.process_time()
    while reps < min_reps or time.perf_counter() - start < min_time:
        fn()
        reps += 1
    return (time.perf_counter() - start) / reps, (time.process_time() - cpu0) / reps


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    results = {}

    def matmul(name, m, k, n, transposed=False):
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if transposed else (k, n), dtype=np.float32)
        t, cpu = measure((lambda: a @ b.T) if transposed else (lambda: a @ b))
        flops = 2.0 * m * n * k
        # cpu_*: work per CPU-second of the process times the core count (threads used).
        results[name] = {"seconds": t, "gflops": flops / t / 1e9,
                         "weights_gbs": b.nbytes / t / 1e9,
                         "cpu_gflops": flops / cpu * CORES / 1e9,
                         "cpu_weights_gbs": b.nbytes / cpu * CORES / 1e9}

    matmul("matmul 512x4096 @ 4096x4096", 512, 4096, 4096)
    matmul("matmul 1024x1024 @ 1024x1024", 1024, 1024, 1024)
    matmul("linear 512x4096, W 4096x4096", 512, 4096, 4096, transposed=True)
    matmul("matvec 1x4096, W 4096x4096", 1, 4096, 4096, transposed=True)
    info = {"numpy": np.__version__,
            "threads": os.environ.get("OPENBLAS_NUM_THREADS", "default")}
    if args.json:
        print(json.dumps({"info": info, "results": results}))
    else:
        print(f"numpy {info['numpy']} float32, OPENBLAS_NUM_THREADS={info['threads']}")
        for name, r in results.items():
            print(f"{name:34s} {r['seconds']*1e3:9.3f} ms {r['gflops']:8.1f} GFLOP/s "
                  f"{r['weights_gbs']:7.1f} GB/s of weights "
                  f"(per CPU time x {CORES}: {r['cpu_gflops']:8.1f} GFLOP/s "
                  f"{r['cpu_weights_gbs']:7.1f} GB/s)")


if __name__ == "__main__":
    main()
