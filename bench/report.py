#!/usr/bin/env python3
"""`make bench-report`: runs the side-by-side benches on this machine and rewrites their tables
in docs/performance.md, so that every figure there is one this script printed.

Each section of docs/performance.md between
    <!-- bench-report:NAME begin -->  and  <!-- bench-report:NAME end -->
is replaced by what the bench NAME prints now (its header says which machine, when, and at what
load). Sections not asked for (--only) keep their text.

  startup  an empty program: `tl run` with --device auto and cpu, and `tlvm`, 30 interleaved runs
  vm       bench/vm/compare.sh: tlvm against lua5.4 on fib, loop, calls
  cpu      bench/cpu/compare.py: kernels against NumPy/OpenBLAS, matvec from DRAM, the triad
  ggml     bench/ggml/compare.py: GEMM and matvec kernels against ggml's CPU backend
           (node-llama-cpp 3.21.1's prebuilt, in BUILD/bench-llm as for llm: installed there
           on the first run)
  e2e      bench/e2e/block_bench.py: a decoder block against NumPy
  llm      bench/llm/llm_bench.py: docs/examples/llama.tl against llama.cpp (long: ~30 min)
  context  bench/llm/llm_bench.py --context: the same at contexts of 128, 512 and 2048 tokens
           (Q4_0), and a projection to larger models (long: ~10 min)
  vulkan-llm  bench/llm/llm_bench.py --device vulkan: the same model on the Vulkan device, TL
           against llama.cpp's Vulkan backend (long: builds llama.cpp with Vulkan once, ~30 min;
           then ~15 min on lavapipe)

usage: report.py --build build [--doc docs/performance.md] [--only startup,vm,...]
                 [--llama-from OTHER_BUILD/bench-llm]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench" / "common"))
import machine  # noqa: E402

SECTIONS = ["startup", "vm", "cpu", "ggml", "e2e", "llm", "context", "vulkan-llm"]
LONG = ["llm", "context", "vulkan-llm"]  # not run unless asked for
# --llama-from: the ggml and llm sections reuse that folder's node-llama-cpp (npm/, llama-src/).
REUSE = []


def numpy_python():
    for p in ("/usr/bin/python3", sys.executable):
        if subprocess.run([p, "-c", "import numpy"], capture_output=True).returncode == 0:
            return p
    sys.exit("report: no python3 with numpy")


def run(cmd):
    print("+ " + " ".join(map(str, cmd)), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"report: {cmd[0]} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    return out.stdout


def startup(build):
    tl, tlvm = build / "bin" / "tl", build / "bin" / "tlvm"
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.tl"
        empty.write_text("")
        tlbc = Path(tmp) / "empty.tlbc"
        run([tl, "compile", empty, "-o", tlbc])
        cases = [("tl run --device auto (empty program)", [tl, "run", "--device", "auto", empty]),
                 ("tl run --device cpu (empty program)", [tl, "run", "--device", "cpu", empty]),
                 ("tlvm --device auto (empty .tlbc)", [tlvm, "--device", "auto", tlbc]),
                 ("tl version (process start only)", [tl, "version"])]
        # The floor of this machine's process start, and Lua's (bench/vm's peer), beside ours.
        cases += [(f"{name} (peer: process start)", cmd) for name, cmd in
                  (("/bin/true", ["/bin/true"]), ("lua5.4 -e ''", ["lua5.4", "-e", ""]))
                  if shutil.which(cmd[0])]
        wall = {label: [] for label, _ in cases}
        cpu = {label: [] for label, _ in cases}
        faults = {label: [] for label, _ in cases}
        for _ in range(30):
            for label, cmd in cases:
                t0 = time.perf_counter()
                proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                _, status, usage = os.wait4(proc.pid, 0)
                wall[label].append((time.perf_counter() - t0) * 1e3)
                cpu[label].append((usage.ru_utime + usage.ru_stime) * 1e3)
                faults[label].append(usage.ru_minflt)
                if os.waitstatus_to_exitcode(status) != 0:
                    sys.exit(f"report: {cmd} failed")
        # Instructions in user space, loader included: what the process itself computes, apart
        # from the kernel's mapping and page-fault work (valgrind's callgrind, where installed).
        instructions = {label: callgrind_instructions(cmd, Path(tmp)) for label, cmd in cases}
    lines = [machine.header(str(tl)),
             "# 30 runs each, interleaved; whole process: wall ms, CPU ms (user + system), minor "
             "page faults; instructions: one run under valgrind's callgrind (user space, the "
             "dynamic loader included)",
             "| command | median wall ms | min wall ms | median CPU ms | page faults | "
             "instructions |", "|---|---|---|---|---|---|"]
    for label in wall:
        count = instructions[label]
        lines.append(f"| `{label}` | {statistics.median(wall[label]):.1f} | "
                     f"{min(wall[label]):.1f} | {statistics.median(cpu[label]):.1f} | "
                     f"{statistics.median(faults[label]):.0f} | "
                     f"{f'{count:,}' if count else 'n/a (no valgrind)'} |")
    return "\n".join(lines) + "\n"


def callgrind_instructions(cmd, tmp):
    if not shutil.which("valgrind"):
        return None
    out = tmp / "callgrind.out"
    proc = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *cmd],
                          capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", proc.stderr)
    return int(found.group(1)) if found and proc.returncode == 0 else None


def vm(build):
    return machine.header(str(build / "bin" / "tl")) + "\n" + run(
        ["bash", ROOT / "bench/vm/compare.sh", build / "bin", "5"])


def cpu(build):
    return machine.header(str(build / "bin" / "tl")) + "\n" + run(
        [numpy_python(), ROOT / "bench/cpu/compare.py", "--bench", build / "bin/tl_cpu_bench",
         "--numpy", ROOT / "bench/cpu/numpy_matmul.py", "--python", numpy_python()])


def ggml(build):
    return run([sys.executable, ROOT / "bench/ggml/compare.py", "--tl-bench",
                build / "bin/tl_kernel_bench", "--tl", build / "bin/tl", "--work",
                build / "bench-llm", *REUSE])


def e2e(build):
    return run([numpy_python(), ROOT / "bench/e2e/block_bench.py", "--tl", build / "bin/tl"])


def llm_bench(build, *options):
    return run([numpy_python(), ROOT / "bench/llm/llm_bench.py", "--tl", build / "bin/tl",
                "--work", build / "bench-llm", *REUSE, *options])


def llm(build):
    return llm_bench(build)


def context(build):
    return llm_bench(build, "--types", "q4_0", "--context", "128,512,2048")


def vulkan_llm(build):
    return llm_bench(build, "--device", "vulkan")


def as_markdown(text):
    """Header lines ('# ...') become a quoted paragraph; markdown tables stay; other text is
    fenced (fixed-width tables)."""
    out, fenced = [], []
    for line in text.rstrip("\n").splitlines():
        # A blank line between a table and a quoted paragraph that follows it (or one it follows),
        # so that neither runs into the other.
        if line.startswith("# "):
            if out and out[-1].startswith("|"):
                out.append("")
            out.append("> " + line[2:] + "  ")
        elif line.startswith("|"):
            if out and out[-1].startswith(">") and any(o.startswith("|") for o in out):
                out.append("")
            out.append(line)
        elif line.strip():
            fenced.append(line)
    if fenced:
        out += ["", "```", *fenced, "```"]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build", required=True, type=Path)
    ap.add_argument("--doc", default=ROOT / "docs" / "performance.md", type=Path)
    ap.add_argument("--only",
                    default=",".join(s for s in SECTIONS if s not in LONG))
    ap.add_argument("--llama-from", help="reuse the node-llama-cpp install (npm/, llama-src/) of "
                    "this folder, read only, instead of installing one into the build folder")
    args = ap.parse_args()
    if args.llama_from:
        REUSE[:] = ["--llama-from", Path(args.llama_from).resolve()]
    for name in args.only.split(","):
        if name not in SECTIONS:
            sys.exit(f"report: unknown section {name} (expected {', '.join(SECTIONS)})")
        begin, end = f"<!-- bench-report:{name} begin -->", f"<!-- bench-report:{name} end -->"
        doc = args.doc.read_text(encoding="utf-8")
        if begin not in doc or end not in doc:
            sys.exit(f"report: {args.doc} has no {begin} ... {end} section")
        text = as_markdown(globals()[name.replace("-", "_")](args.build.resolve()))
        print(text, flush=True)
        # Read again after the bench (minutes to an hour): edits made meanwhile are kept.
        doc = re.sub(re.escape(begin) + ".*?" + re.escape(end),
                     lambda _: f"{begin}\n{text}\n{end}", args.doc.read_text(encoding="utf-8"),
                     flags=re.S)
        args.doc.write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    main()
