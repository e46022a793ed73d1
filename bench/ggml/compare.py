#!/usr/bin/env python3
"""CPU kernels side by side with ggml's CPU backend, on this machine, in one run.

Rows: y = x W^T with W [m, k] in f16, Q8_0, Q4_0, Q4_K or Q6_K and x [n, k], 2 threads:
  GEMM     m=4096 n=512 k=14336  (a 512-token prompt through a 14336-wide FFN down projection)
  matvec   m=4096 n=1 k=14336    (one decoded token), rotating through copies of W that together
           exceed the last-level cache, so the weights stream from memory (GB/s of weights)
Sides, each a fresh process per row and round, interleaved (TL, ggml, then the next row; the
order of the two flips each round):
  TL:   tl_kernel_bench (bench/ggml/tl_side.cpp): CpuBackend::linear, the weights borrowed like
        a mapped model's (Q8_0/Q4_0/Q4_K repacked at their first product, during the warm-up)
  ggml: bench/ggml/ggml_driver.cpp: ggml_mul_mat on the CPU backend of node-llama-cpp 3.21.1's
        prebuilt libraries (installed into --work when missing: bench/common/llama_cpp.py; the
        build uses bench/llm's folder, build/bench-llm, so that both share one install), the
        weights in the buffer type llama.cpp would choose (CPU_REPACK repacks Q4_0 on upload)
Both are timed by one loop (bench/common/kernel_timer.h): a warm-up pass, then each call timed
alone for at least --seconds; each process reports its median call; the table gives the medians
over the rounds and TL/ggml = ggml's time / TL's (> 1: TL is faster).

usage: compare.py --tl-bench build/bin/tl_kernel_bench --work build/bench-llm [--tl build/bin/tl]
                  [--rounds 3] [--seconds 1] [--llama-from OTHER_WORK] [--quick]
"""
import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "common"))
import llama_cpp  # noqa: E402
import machine  # noqa: E402

DRIVER = Path(__file__).resolve().parent / "ggml_driver.cpp"
THREADS = 2
# (type, m, n, k)
TYPES = ("f16", "q8_0", "q4_0", "q4_k", "q6_k")
ROWS = [(t, 4096, 512, 14336) for t in TYPES] + [(t, 4096, 1, 14336) for t in TYPES]
QUICK = [(t, 256, 16, 1024) for t in ("f16", "q4_0", "q4_k")] + \
        [(t, 256, 1, 1024) for t in ("q8_0", "q6_k")]
NAMES = {"f16": "f16", "q8_0": "Q8_0", "q4_0": "Q4_0", "q4_k": "Q4_K", "q6_k": "Q6_K"}


def run_side(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"ggml bench: {cmd[0]} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    info, timing = None, None
    for line in out.stdout.splitlines():
        obj = json.loads(line)
        if "ggml" in obj:
            info = obj["ggml"]
        elif "side" in obj:
            timing = obj
    return info, timing


def label(t, m, n, k):
    kind = "GEMM" if n > 1 else "matvec"
    return f"{NAMES[t]} {kind} m={m} n={n} k={k}"


def cell(r):
    """Median time and its rate: GFLOP/s for a product, GB/s of weights for a matrix-vector."""
    ms = r["median_ms"]
    digits = 0 if ms >= 100 else 1 if ms >= 10 else 2 if ms >= 1 else 3
    if r["n"] > 1:
        return f"{ms:.{digits}f} ms, {2 * r['m'] * r['n'] * r['k'] / ms / 1e6:.0f} GFLOP/s"
    return f"{ms:.{digits}f} ms, {r['weight_bytes'] / ms / 1e6:.1f} GB/s"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tl-bench", required=True, help="build/bin/tl_kernel_bench")
    ap.add_argument("--work", required=True, help="build folder for node_modules and the driver")
    ap.add_argument("--tl", help="build/bin/tl, for the kernels line of the header")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=1.0, help="timed seconds per process")
    ap.add_argument("--llama-from", help="reuse the npm/ and llama-src/ of this build folder "
                    "(read only) instead of installing them into --work")
    ap.add_argument("--quick", action="store_true", help="small shapes, one round (smoke test)")
    args = ap.parse_args()
    rows = ROWS
    if args.quick:
        rows, args.rounds, args.seconds = QUICK, 1, 0.05
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    package = llama_cpp.install(work, args.llama_from, "ggml bench")
    driver = package.compile(DRIVER, work / "ggml_driver", ["libggml.v0.4.0.so", "libggml-base.so"])

    header = machine.header(args.tl)  # the date and load of the start
    results = {row: {"TL": [], "ggml": []} for row in rows}
    info = None
    for r in range(args.rounds):
        for row in rows:
            shape = [str(v) for v in row] + [str(THREADS), str(args.seconds)]
            sides = [("TL", [args.tl_bench, *shape]),
                     ("ggml", [str(driver), str(package.bins), *shape])]
            for side, cmd in (sides if r % 2 == 0 else sides[::-1]):
                side_info, timing = run_side(cmd)
                info = side_info or info
                results[row][side].append(timing)

    print(header)
    print(f"# ggml: {llama_cpp.NODE_LLAMA_CPP} prebuilt, CPU variant {info['variant']} "
          f"({info['description']}); features: {info['features']}")
    buffers = sorted({f"{NAMES[row[0]]} in {results[row]['ggml'][0]['weight_buffer']}"
                      for row in rows})
    print(f"# {THREADS} threads; {args.rounds} interleaved rounds, medians of each process's "
          f"median call (>= {args.seconds:g} s of calls after a warm-up); ggml's weights: "
          f"{', '.join(buffers)}; TL's: borrowed, Q8_0/Q4_0/Q4_K repacked at their first product")
    matvec = [row for row in rows if row[2] == 1]
    if matvec:
        llc = results[matvec[0]]["TL"][0]["llc_bytes"]
        copies = ", ".join(f"{NAMES[row[0]]} {results[row]['TL'][0]['copies']}" for row in matvec)
        print(f"# matvec: each call reads the next of several copies of the weights, together "
              f">= 1 GiB and twice the last-level cache ({llc / 2**20:.0f} MiB): {copies} copies; "
              f"GB/s counts the weights' bytes")
    print("| work | TL | ggml | TL/ggml | CPU/wall TL, ggml |")
    print("|---|---|---|---|---|")
    for row in rows:
        med = {}
        for side in ("TL", "ggml"):
            runs = results[row][side]
            med[side] = dict(runs[0], median_ms=statistics.median(x["median_ms"] for x in runs),
                             cpu_per_wall=statistics.median(x["cpu_per_wall"] for x in runs))
        print(f"| {label(*row)} | {cell(med['TL'])} | {cell(med['ggml'])} | "
              f"{med['ggml']['median_ms'] / med['TL']['median_ms']:.2f} | "
              f"{med['TL']['cpu_per_wall']:.2f}, {med['ggml']['cpu_per_wall']:.2f} |")
    print(f"# CPU/wall: the process's CPU time over its timed calls / their wall time, median of "
          f"the rounds ({THREADS:.1f}: every thread ran throughout; less: the machine's other work "
          f"took the cores, and that row's figures are low)")


if __name__ == "__main__":
    main()
