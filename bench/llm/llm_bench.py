#!/usr/bin/env python3
"""A whole model, TL against llama.cpp, on the same GGUF files and the same CPU, in one run.

Models: TinyLlama-shaped random-weight files (vocab 32000, n_embd 2048, 22 layers, 32 heads,
4 KV heads, n_ff 5632) in F16, Q8_0 and Q4_0, written by ../shared/tools/llama/make_tiny_llama.py
into the build folder and reused from there (never committed). --quick uses a small shape.

Sides, interleaved round by round (TL, llama.cpp, TL, llama.cpp, ...), each a fresh process:
  TL:        tl run docs/examples/llama.tl MODEL.gguf PROMPT N
  llama.cpp: bench/llm/llama_cpp_driver.cpp, llama.cpp's examples/simple loop on the C API,
             linked to node-llama-cpp 3.21.1's prebuilt libllama (installed into the build folder
             with `npm i -E node-llama-cpp@3.21.1` when it is not there; it picks its CPU variant
             at run time), CPU only, 2 threads, greedy. No JavaScript runs in the token loop.
Both measured the same way from outside: the process's stdout is timestamped as it arrives.
  TTFT:    process start -> first generated token on stdout (load + prefill + one sample)
  decode:  (tokens after the first) / (last token time - first token time), both sides
  prefill: prompt tokens / prefill time; llama.cpp's driver times its llama_decode of the prompt
           and the first sample; TL's program prints llama.cpp-style timings to stderr ("prompt eval time
           = X ms / N tokens"); when it does not, TTFT minus the time to the prompt echo is used.
  peak RSS: the process's own maximum resident set (wait4), in MiB.
The table gives medians of the rounds and the ratio TL / llama.cpp (throughput: > 1 means TL is
faster; RSS and TTFT: < 1 means TL uses less / answers sooner).

usage: llm_bench.py --tl build/bin/tl --work build/bench-llm [--rounds 3] [--types f16,q8_0,q4_0]
                    [--prompt-tokens 128] [--gen 64] [--quick] [--llama-from OTHER_WORK]
"""
import argparse
import json
import os
import re
import selectors
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "common"))
import llama_cpp  # noqa: E402
import machine  # noqa: E402

MAKE_MODEL = ROOT.parent / "shared" / "tools" / "llama" / "make_tiny_llama.py"
PROGRAM = ROOT / "docs" / "examples" / "llama.tl"
DRIVER = Path(__file__).resolve().parent / "llama_cpp_driver.cpp"

TINYLLAMA = ["--n-vocab", "32000", "--n-embd", "2048", "--n-layer", "22", "--n-head", "32",
             "--n-head-kv", "4", "--n-ff", "5632", "--ctx", "2048", "--rms-eps", "1e-5"]
QUICK = ["--n-vocab", "2000", "--n-embd", "256", "--n-layer", "2", "--n-head", "8",
         "--n-head-kv", "4", "--n-ff", "704", "--ctx", "512", "--rms-eps", "1e-5"]

# Plain English; each side tokenizes it with the model's own vocabulary.
TEXT = ("The quick brown fox jumps over the lazy dog while the small cat sleeps in the warm sun. "
        "Every morning the old man walks to the market, buys fresh bread and talks with friends. ")


def numpy_python():
    """make_tiny_llama.py needs numpy: Debian's python3 has it (python3-numpy)."""
    for p in ("/usr/bin/python3", sys.executable):
        if p and subprocess.run([p, "-c", "import numpy"], capture_output=True).returncode == 0:
            return p
    sys.exit("llm_bench: no python3 with numpy (apt-get install python3-numpy)")


def make_model(work, kind, shape, quick):
    name = f"{'quick' if quick else 'tinyllama'}_{kind}.gguf"
    out = work / name
    if not out.exists():
        print(f"# writing {out} (cached for later runs)", flush=True)
        tmp = out.with_suffix(".tmp")
        subprocess.run([numpy_python(), str(MAKE_MODEL), str(tmp), "--type", kind, "--seed", "1",
                        *shape], check=True, stdout=subprocess.DEVNULL)
        tmp.rename(out)
    return out


def llama_cpp_driver(work, reuse=None):
    """Builds bench/llm/llama_cpp_driver.cpp against node-llama-cpp 3.21.1's prebuilt libllama
    (bench/common/llama_cpp.py: installed into work when missing, or reused from another build
    folder). Returns (driver executable, folder of the prebuilt shared libraries and CPU
    variants)."""
    package = llama_cpp.install(work, reuse, "llm_bench")
    if not (package.bins / "libllama.v0.4.0.so").exists():
        sys.exit(f"llm_bench: no prebuilt libllama in {package.bins}")
    driver = package.compile(DRIVER, work / "llama_cpp_driver",
                             ["libllama.v0.4.0.so", "libggml.v0.4.0.so", "libggml-base.so"])
    return driver, package.bins


def timed_run(cmd):
    """Runs cmd; returns (stdout chunks with arrival times since start, stderr, rc, peak RSS MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, "out")
    sel.register(proc.stderr, selectors.EVENT_READ, "err")
    chunks, err = [], b""
    open_streams = 2
    while open_streams:
        for key, _ in sel.select():
            data = os.read(key.fileobj.fileno(), 65536)
            if not data:
                sel.unregister(key.fileobj)
                open_streams -= 1
            elif key.data == "out":
                chunks.append((time.perf_counter() - start, data))
            else:
                err += data
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return chunks, err.decode(errors="replace"), proc.returncode, usage.ru_maxrss / 1024


def run_tl(tl, model, prompt, n):
    chunks, err, rc, rss = timed_run([tl, "run", str(PROGRAM), str(model), prompt, str(n)])
    if rc != 0:
        sys.exit(f"llm_bench: tl run failed ({rc}):\n{err[-3000:]}")
    # The program echoes the prompt, then streams the tokens: every chunk that arrives after the
    # echo is complete carries generated text.
    seen, echo_done, token_times = 0, None, []
    for t, data in chunks:
        seen += len(data)
        if seen <= len(prompt.encode()):
            echo_done = t
            continue
        token_times.append(t)
    if not token_times:
        sys.exit("llm_bench: tl run printed no generated text")
    m = re.search(r"prompt eval time\s*=\s*([\d.]+)\s*ms\s*/\s*(\d+)\s*tokens", err)
    e = re.search(r"(?<!prompt )eval time\s*=\s*([\d.]+)\s*ms\s*/\s*(\d+)\s*(?:runs|tokens)", err)
    if m:
        prefill_ms, prompt_tokens = float(m.group(1)), int(m.group(2))
    else:
        prefill_ms, prompt_tokens = (token_times[0] - (echo_done or 0)) * 1e3, None
    # Decode as on llama.cpp's side: tokens after the first over the time from the first to the
    # last, timestamped here; the count is the program's own (it stops early at end-of-sequence).
    generated = int(e.group(2)) if e else n
    decode_tps = (generated - 1) / max(token_times[-1] - token_times[0], 1e-9)
    return dict(ttft=token_times[0], prefill_ms=prefill_ms, prompt_tokens=prompt_tokens,
                decode_tps=decode_tps, rss=rss)


def run_llama_cpp(driver, model, prompt, n):
    chunks, err, rc, rss = timed_run([str(driver[0]), str(driver[1]), str(model), prompt, str(n)])
    if rc != 0:
        sys.exit(f"llm_bench: llama.cpp driver failed ({rc}):\n{err[-3000:]}")
    events, buf = [], b""
    for t, data in chunks:
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            events.append((t, json.loads(line)))
    tokens = [t for t, ev in events if ev["event"] == "token"]
    done = next(ev for _, ev in events if ev["event"] == "done")
    prompt_tokens = next(ev["tokens"] for _, ev in events if ev["event"] == "prompt")
    run_llama_cpp.system = done["system"]
    return dict(ttft=tokens[0], prefill_ms=done["prefill_ms"], prompt_tokens=prompt_tokens,
                decode_tps=(len(tokens) - 1) / max(tokens[-1] - tokens[0], 1e-9), rss=rss)


def prompt_of(words):
    """The first `words` words of the bench's English text."""
    text = (TEXT * (1 + words // 20)).split()
    return " ".join(text[:words])


def prompt_with_tokens(driver, model, tokens):
    """The longest prefix of the text with at most `tokens` tokens (BOS included) in the model's
    vocabulary, counted by llama.cpp's tokenizer (TL's gives the same ids: tests/llama)."""
    def count(words):
        out = subprocess.run([str(driver[0]), str(driver[1]), str(model), prompt_of(words), "0"],
                             capture_output=True, text=True, check=True).stdout
        return json.loads(out.splitlines()[-1])["tokens"]
    lo, hi = 1, tokens  # every word is at least one token
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(mid) <= tokens:
            lo = mid
        else:
            hi = mid - 1
    return prompt_of(lo)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tl", required=True)
    ap.add_argument("--work", required=True, help="build folder for models and node_modules")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--types", default="f16,q8_0,q4_0")
    ap.add_argument("--prompt-tokens", type=int, default=128)
    ap.add_argument("--gen", type=int, default=64)
    ap.add_argument("--quick", action="store_true", help="a small model, one round (smoke test)")
    ap.add_argument("--llama-from", help="reuse the npm/ and llama-src/ of this build folder "
                    "(read only) instead of installing them into --work")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.gen, args.prompt_tokens = 1, 8, 16
    if not PROGRAM.exists():
        sys.exit(f"llm_bench: {PROGRAM} does not exist yet")
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    driver = llama_cpp_driver(work, args.llama_from)
    print(machine.header(args.tl))
    print(f"# {args.rounds} interleaved rounds, medians; prompt <= {args.prompt_tokens} tokens, "
          f"{args.gen} generated, greedy, 2 threads; "
          f"llama.cpp = {llama_cpp.NODE_LLAMA_CPP} prebuilt (CPU)")
    cols = ["model", "side", "prompt tok", "prefill tok/s", "decode tok/s", "TTFT s",
            "peak RSS MiB"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for kind in args.types.split(","):
        model = make_model(work, kind, QUICK if args.quick else TINYLLAMA, args.quick)
        prompt = prompt_with_tokens(driver, model, args.prompt_tokens)
        runs = {"TL": [], "llama.cpp": []}
        for _ in range(args.rounds):
            runs["TL"].append(run_tl(args.tl, model, prompt, args.gen))
            runs["llama.cpp"].append(run_llama_cpp(driver, model, prompt, args.gen))
        med = {}
        for side, rs in runs.items():
            pt = rs[0]["prompt_tokens"] or runs["llama.cpp"][0]["prompt_tokens"]
            med[side] = dict(
                pt=pt,
                prefill=statistics.median(pt / (r["prefill_ms"] / 1e3) for r in rs),
                decode=statistics.median(r["decode_tps"] for r in rs),
                ttft=statistics.median(r["ttft"] for r in rs),
                rss=statistics.median(r["rss"] for r in rs))
        for side in ("TL", "llama.cpp"):
            m = med[side]
            print(f"| {kind} | {side} | {m['pt']} | {m['prefill']:.1f} | {m['decode']:.1f} | "
                  f"{m['ttft']:.2f} | {m['rss']:.0f} |")
        a, b = med["TL"], med["llama.cpp"]
        print(f"| {kind} | **TL / llama.cpp** | | {a['prefill'] / b['prefill']:.2f} | "
              f"{a['decode'] / b['decode']:.2f} | {a['ttft'] / b['ttft']:.2f} | "
              f"{a['rss'] / b['rss']:.2f} |")
        sys.stdout.flush()
    print(f"# llama.cpp system info: {getattr(run_llama_cpp, 'system', '?')}")


if __name__ == "__main__":
    main()
