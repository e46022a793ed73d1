#!/usr/bin/env python3
"""End to end: one LLaMA-style decoder block written in TL (docs/examples/llama_block.tl at LLM
sizes), run by `tl run`, against the same block in NumPy float32 (OpenBLAS) in this process.

Each case writes the weights once (make_tiny_block.write_block). Both sides are timed the same
way: the time of 1 + REPS applications of the block minus the time of 1, divided by REPS (for TL
two `tl run` processes, so start-up and model loading cancel; for NumPy two timed loops in this
process, after a warm-up). Rounds alternate TL and NumPy, and each side keeps its best round.
Prints the machine header and one table with the ratio NumPy time / TL time (> 1: TL faster).

Usage: block_bench.py --tl build/bin/tl [--device cpu] [--reps 5] [--rounds 3] [--quick]
"""
import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "examples"))
sys.path.insert(0, str(ROOT / "bench" / "common"))
import make_tiny_block as gen  # noqa: E402
import machine  # noqa: E402

# (label, dim, heads, ffn, tokens): a 7B-class block's width at prefill and at decode.
CASES = [
    ("prefill 64 tokens, dim 2048, ffn 5632", 2048, 16, 5632, 64),
    ("decode 1 token, dim 2048, ffn 5632", 2048, 16, 5632, 1),
    ("prefill 128 tokens, dim 4096, ffn 11008", 4096, 32, 11008, 128),
]
QUICK = [("prefill 16 tokens, dim 512, ffn 1408", 512, 8, 1408, 16)]


def write_program(path, dim, heads, reps):
    """llama_block.tl at this case's width and head count, applying the block 1 + reps times."""
    src = (ROOT / "docs" / "examples" / "llama_block.tl").read_text()
    src = src[: src.index("let x = m.get_tensor")]
    src = src.replace("float16[T, 32]", f"float16[T, {dim}]")
    src = src.replace("sqrt(32 / heads)", f"sqrt({dim} / heads)")
    src = src.replace("m.attn_norm.weight), 2)", f"m.attn_norm.weight), {heads})")
    src = src.replace('load_model("tiny_block.safetensors")', 'load_model("block.safetensors")')
    path.write_text(src + f"""
let x = m.get_tensor("x")
let y = block(x)
for i in range({reps}) {{
    y = block(x)
}}
print(y.shape, y[0, 0])
""")


def run_tl(tl, program, device):
    start = time.perf_counter()
    out = subprocess.run([tl, "run", "--device", device, str(program)], capture_output=True,
                         text=True, check=False)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"tl run failed:\n{out.stderr}")
    return elapsed


def numpy_seconds(t32, heads, n):
    start = time.perf_counter()
    for _ in range(n):
        gen.block(t32, heads)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tl", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one small case (a smoke test)")
    args = ap.parse_args()
    cases = QUICK if args.quick else CASES
    print(machine.header(args.tl))
    print(f"# TL: tl run --device {args.device}, f16 weights; NumPy: float32, OpenBLAS; "
          f"best of {args.rounds} interleaved rounds, ms per block")
    print(f"| {'case':40} | {'TL ms':>8} | {'NumPy ms':>8} | {'TL/NumPy speed':>14} | {'TL GFLOP/s':>10} |")
    print(f"|{'-' * 42}|{'-' * 10}|{'-' * 10}|{'-' * 16}|{'-' * 12}|")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for label, dim, heads, ffn, tokens in cases:
            t = gen.write_block(tmp / "block.safetensors", dim, heads, ffn, tokens, expected=False)
            t32 = {k: v.astype(np.float32) for k, v in t.items()}
            gen.block(t32, heads)  # warm up
            # A decode step is short: many more of them stand out from process start-up noise.
            reps = args.reps * (40 if tokens == 1 else 1)
            for n in (0, reps):
                write_program(tmp / f"block{n}.tl", dim, heads, n)
            tl_best = np_best = float("inf")
            for _ in range(args.rounds):
                base = run_tl(args.tl, tmp / "block0.tl", args.device)
                more = run_tl(args.tl, tmp / f"block{reps}.tl", args.device)
                tl_best = min(tl_best, (more - base) / reps)
                base = numpy_seconds(t32, heads, 1)
                more = numpy_seconds(t32, heads, 1 + reps)
                np_best = min(np_best, (more - base) / reps)
            tl_ms, np_ms = tl_best * 1e3, np_best * 1e3
            if tl_ms <= 0 or np_ms <= 0:  # the noise exceeded the work: no figure to give
                print(f"| {label:40} | {'noise':>8} | {'noise':>8} | {'':>14} | {'':>10} |")
                continue
            flops = 2 * tokens * (4 * dim * dim + 3 * dim * ffn) + 4 * tokens * tokens * dim
            print(f"| {label:40} | {tl_ms:8.1f} | {np_ms:8.1f} | {np_ms / tl_ms:14.2f} | "
                  f"{flops / (tl_ms * 1e6):10.1f} |")


if __name__ == "__main__":
    main()
