#!/usr/bin/env python3
"""A whole model, TL against llama.cpp, on the same GGUF files and the same CPU, in one run.

Models: TinyLlama-shaped random-weight files (vocab 32000, n_embd 2048, 22 layers, 32 heads,
4 KV heads, n_ff 5632) in F16, Q8_0 and Q4_0, written by ../shared/tools/llama/make_tiny_llama.py
into the build folder and reused from there (never committed). --quick uses a small shape.

Sides, interleaved round by round (TL, llama.cpp, TL, llama.cpp, ...), each a fresh process:
  TL:        tl run --device cpu docs/examples/llama.tl MODEL.gguf PROMPT N
  llama.cpp: bench/llm/llama_cpp_driver.cpp, llama.cpp's examples/simple loop on the C API,
             linked to node-llama-cpp 3.21.1's prebuilt libllama (installed into the build folder
             with `npm i -E node-llama-cpp@3.21.1` when it is not there; it picks its CPU variant
             at run time), CPU only, 2 threads, greedy. No JavaScript runs in the token loop.
Both warm up the way llama.cpp's tools do (common_init_from_params): one forward pass of
[BOS, EOS] into a cache that is then dropped, before the prompt's clock starts. That pass pages in
the weights, and TL repacks its Q8_0/Q4_0/Q4_K weights for its int8 kernels there (llama.cpp
repacks Q4_0 and Q4_K while loading), so prefill times the prompt alone; the warm-up's cost stays
inside TTFT.
Before each run the bench reads the model file through, so both sides start with it in the page
cache. Both measured the same way from outside: the process's stdout is timestamped as it arrives.
  TTFT:    process start -> first generated token on stdout (load + warm-up + prefill + one sample)
  decode:  (tokens after the first) / (last token time - first token time), both sides
  prefill: prompt tokens / prefill time; llama.cpp's driver times its llama_decode of the prompt
           and the first sample; TL's program prints llama.cpp-style timings to stderr ("prompt eval time
           = X ms / N tokens"); when it does not, TTFT minus the time to the prompt echo is used.
  peak RSS: the process's own maximum resident set (wait4), in MiB.
The table gives medians of the rounds and the ratio TL / llama.cpp (throughput: > 1 means TL is
faster; RSS and TTFT: < 1 means TL uses less / answers sooner).

With --device vulkan both sides run on the Vulkan device instead (where it is lavapipe, Mesa's
Vulkan driver on the CPU, with a shorter prompt and generation: DEFAULTS):
  TL:        tl run --device vulkan docs/examples/llama.tl MODEL.gguf PROMPT N
  llama.cpp: the same driver, compiled against llama.cpp built from the source node-llama-cpp
             ships, with GGML_VULKAN (work/llama-vulkan-build, built once: needs Debian's glslc
             and spirv-headers), all layers offloaded to the device (checked in llama.cpp's log).
Same columns, same measuring.

With --context 128,512,2048 it measures instead how cost grows with the context (the positions
the KV cache holds when a token is decoded): for each length L, a prompt of L - gen tokens and
gen tokens decoded after it (positions up to L), on both sides: prefill tok/s, decode ms per
token, the KV cache's size (f16 K and V on both sides: 2 x n_layer x L x n_head_kv x head_dim x 2
bytes) and peak RSS. Then a projection on paper to larger models: each side's measured weight
stream (weight bytes read per token x decode tok/s at the shortest context) divided into the
bytes a token of another model reads (its weights, plus its KV cache at L).

usage: llm_bench.py --tl build/bin/tl --work build/bench-llm [--rounds 3] [--types f16,q8_0,q4_0]
                    [--prompt-tokens 128] [--gen 64] [--quick] [--context 128,512,2048]
                    [--device cpu|vulkan] [--llama-from OTHER_WORK]
"""
import argparse
import collections
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


# How llama_cpp_driver.cpp is run: the executable, the folder its backends are loaded from, the
# layers it offloads to a GPU device (None: CPU only, the driver's default), and environment
# variables to add.
Driver = collections.namedtuple("Driver", "exe backends gpu_layers env")


def llama_cpp_driver(work, reuse=None):
    """The driver linked to node-llama-cpp 3.21.1's prebuilt libllama, CPU only
    (bench/common/llama_cpp.py: installed into work when missing, or reused from another build
    folder)."""
    package = llama_cpp.install(work, reuse, "llm_bench")
    if not (package.bins / "libllama.v0.4.0.so").exists():
        sys.exit(f"llm_bench: no prebuilt libllama in {package.bins}")
    driver = package.compile(DRIVER, work / "llama_cpp_driver",
                             ["libllama.v0.4.0.so", "libggml.v0.4.0.so", "libggml-base.so"])
    return Driver(driver, package.bins, None, {})


# llama.cpp's Vulkan build: the library and its backends only (no tools, examples or tests),
# portable CPU code, backends as loadable modules (as in node-llama-cpp's prebuilt).
LLAMA_VULKAN_FLAGS = ["-DCMAKE_BUILD_TYPE=Release", "-DGGML_VULKAN=ON", "-DGGML_NATIVE=OFF",
                      "-DGGML_BACKEND_DL=ON", "-DBUILD_SHARED_LIBS=ON", "-DLLAMA_CURL=OFF",
                      "-DLLAMA_BUILD_COMMON=OFF", "-DLLAMA_BUILD_TESTS=OFF",
                      "-DLLAMA_BUILD_TOOLS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF",
                      "-DLLAMA_BUILD_SERVER=OFF", "-DLLAMA_BUILD_APP=OFF"]
# Debian packages that build needs beyond the TL build's: the shader compiler, and the SPIR-V
# headers' CMake package that ggml-vulkan's CMakeLists asks for.
LLAMA_VULKAN_PACKAGES = ["glslc", "spirv-headers"]


def install_missing(packages):
    """apt-get installs the Debian packages that are missing when run as root; else stops."""
    missing = [p for p in packages if subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True
    ).stdout != "install ok installed"]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"llm_bench: llama.cpp's Vulkan build needs: apt-get install -y "
                 f"{' '.join(missing)}")
    print(f"# apt-get install {' '.join(missing)}", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                   check=True, stdout=subprocess.DEVNULL)


# ggml-vulkan.cpp chains a VK_EXT_layer_settings struct (a validation-layer setting, enabled only
# in GGML_VULKAN_VALIDATE builds) into its instance's create info; Debian 12's Vulkan headers
# (1.3.239) predate that extension. With such headers, the bench's copy of the source drops that
# struct: the instance is created as it is whenever that build option is off.
LAYER_SETTINGS = re.compile(r"    VkBool32 enable_best_practice = layer_settings;\n.*?"
                            r"(vk::InstanceCreateInfo instance_create_info\(.*?extensions)"
                            r", &layer_setting_info\);", re.S)


def fit_old_vulkan_headers(source):
    """Drops the layer-settings struct from source's ggml-vulkan.cpp when the system's Vulkan
    headers lack VK_EXT_layer_settings (LAYER_SETTINGS)."""
    core = Path("/usr/include/vulkan/vulkan_core.h")
    if not core.exists() or "VK_EXT_layer_settings" in core.read_text(errors="replace"):
        return
    cpp = source / "ggml" / "src" / "ggml-vulkan" / "ggml-vulkan.cpp"
    text = cpp.read_text()
    fitted = LAYER_SETTINGS.sub(lambda m: "    " + m.group(1) + ");", text)
    if fitted != text:
        print(f"# {cpp}: VK_EXT_layer_settings struct dropped (Vulkan headers older than it)",
              flush=True)
        cpp.write_text(fitted)


def llama_cpp_vulkan_driver(work, model):
    """The driver linked to llama.cpp built from the same source with its Vulkan backend, in
    work/llama-vulkan-build (built when missing: many shaders, ~30 min on 2 cores), all layers
    offloaded to the Vulkan device. ggml-vulkan leaves CPU-type devices (lavapipe) out unless
    GGML_VK_VISIBLE_DEVICES names them: where it sees no other device, it is given device 0, the
    one TL picks on a machine whose only Vulkan device is lavapipe."""
    package = llama_cpp.install(work, None, "llm_bench")
    # Its own clone: the build patches the source (fit_old_vulkan_headers).
    source = work / "llama-vulkan-src"
    if not (source / "include" / "llama.h").exists():
        subprocess.run(["git", "-c", "advice.detachedHead=false", "clone", "-q",
                        str(package.prefix / "node_modules" / "node-llama-cpp" / "llama" /
                            "gitRelease.bundle"), str(source)], check=True)
    build = work / "llama-vulkan-build"
    libs = build / "bin"
    backends = ["libggml-cpu.so", "libggml-vulkan.so"]
    if not all((libs / f).exists() for f in ["libllama.so", *backends]):
        install_missing(LLAMA_VULKAN_PACKAGES)
        fit_old_vulkan_headers(source)
        log = work / "llama-vulkan-build.log"
        print(f"# building llama.cpp with GGML_VULKAN into {build} (cached for later runs; "
              f"log: {log})", flush=True)
        steps = [["cmake", "--build", str(build), "-j2", "--target", "llama", "ggml-cpu",
                  "ggml-vulkan"]]
        if not (build / "CMakeCache.txt").exists():
            steps.insert(0, ["cmake", "-S", str(source), "-B", str(build), "-G", "Ninja",
                             *LLAMA_VULKAN_FLAGS])
        with open(log, "w", encoding="utf-8") as out:
            for step in steps:
                if subprocess.run(["nice", "-n", "19", *step], stdout=out,
                                  stderr=subprocess.STDOUT).returncode != 0:
                    sys.exit(f"llm_bench: llama.cpp's Vulkan build failed: see {log}")
    driver = work / "llama_cpp_driver_vulkan"
    llama_cpp.compile_driver(DRIVER, driver, source, libs,
                             ["libllama.so", "libggml.so", "libggml-base.so"])
    vulkan = Driver(driver, libs, 99, {})
    if not driver_info(vulkan, model, "Hello")["gpus"]:
        vulkan = vulkan._replace(env={"GGML_VK_VISIBLE_DEVICES": "0"})
        if not driver_info(vulkan, model, "Hello")["gpus"]:
            sys.exit("llm_bench: llama.cpp's Vulkan backend finds no device")
    return vulkan


def driver_cmd(driver, model, prompt, n):
    cmd = [str(driver.exe), str(driver.backends), str(model), prompt, str(n)]
    return cmd + ([str(driver.gpu_layers)] if driver.gpu_layers else [])


def timed_run(cmd, env=None):
    """Runs cmd, with the variables `env` added to the environment; returns (stdout chunks with
    arrival times since start, stderr, rc, peak RSS MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
                            env={**os.environ, **(env or {})})
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


def run_tl(tl, device, model, prompt, n):
    chunks, err, rc, rss = timed_run([tl, "run", "--device", device, str(PROGRAM), str(model),
                                      prompt, str(n)])
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
    chunks, err, rc, rss = timed_run(driver_cmd(driver, model, prompt, n), driver.env)
    if rc != 0:
        sys.exit(f"llm_bench: llama.cpp driver failed ({rc}):\n{err[-3000:]}")
    if driver.gpu_layers:
        # llama.cpp's own log line: "load_tensors: offloaded 23/23 layers to GPU".
        off = re.search(r"offloaded (\d+)/(\d+) layers to GPU", err)
        if not off or off.group(1) != off.group(2):
            sys.exit(f"llm_bench: llama.cpp did not offload every layer:\n{err[-3000:]}")
        run_llama_cpp.offloaded = off.group(0)
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


def driver_info(driver, model, prompt):
    """The driver's count of the prompt's tokens and the GPU devices it sees (N = 0: nothing is
    offloaded or run)."""
    cmd = driver_cmd(driver._replace(gpu_layers=None), model, prompt, 0)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env={**os.environ, **driver.env}).stdout
    return json.loads(out.splitlines()[-1])


def prompt_with_tokens(driver, model, tokens):
    """The longest prefix of the text with at most `tokens` tokens (BOS included) in the model's
    vocabulary, counted by llama.cpp's tokenizer (TL's gives the same ids: tests/llama)."""
    def count(words):
        return driver_info(driver, model, prompt_of(words))["tokens"]
    lo, hi = 1, tokens  # every word is at least one token
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(mid) <= tokens:
            lo = mid
        else:
            hi = mid - 1
    return prompt_of(lo)


def read_through(path):
    """Reads the file, so that each side starts with it in the page cache (as on a second run):
    on a VM whose host reclaims idle memory, the previous run's pages may be gone."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def instructions_per_token(tl, model, prompt):
    """TL's VM instructions per generated token: `tl run --stats` for 9 tokens against 1 (the
    difference is 8 tokens' decode step, sampling, detokenizing and printing)."""
    def count(n):
        r = subprocess.run([tl, "run", "--stats", str(PROGRAM), str(model), prompt, str(n)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = r.stderr.decode(errors="replace")
        m = re.search(r"stats: (\d+) instructions executed", err)
        if r.returncode != 0 or not m:
            sys.exit(f"llm_bench: tl run --stats failed ({r.returncode}):\n{err[-3000:]}")
        return int(m.group(1))
    return (count(9) - count(1)) // 8


def measure(args, driver, model, prompt):
    """Both sides on one model and prompt, args.rounds interleaved rounds: per side the medians
    of prefill tok/s, decode tok/s, TTFT and peak RSS, and the prompt's token count."""
    runs = {"TL": [], "llama.cpp": []}
    for _ in range(args.rounds):
        read_through(model)
        runs["TL"].append(run_tl(args.tl, args.device, model, prompt, args.gen))
        read_through(model)
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
    return med


# Bytes per weight of each file type (GGUF blocks: Q8_0 34 bytes per 32, Q4_0 18 per 32).
BYTES_PER_WEIGHT = {"f16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}

# Shapes for the projection (Llama-2 7B/13B, Llama-3 8B), with the bench's own first.
PROJECTED = [("Llama-2 7B", dict(n_embd=4096, n_layer=32, n_head=32, n_head_kv=32, n_ff=11008,
                                 n_vocab=32000)),
             ("Llama-2 13B", dict(n_embd=5120, n_layer=40, n_head=40, n_head_kv=40, n_ff=13824,
                                  n_vocab=32000)),
             ("Llama-3 8B", dict(n_embd=4096, n_layer=32, n_head=32, n_head_kv=8, n_ff=14336,
                                 n_vocab=128256))]


def shape_of(args):
    """The hyperparameters in a make_tiny_llama argument list."""
    flags = dict(zip(args[::2], args[1::2]))
    return {k: int(flags["--" + k.replace("_", "-")])
            for k in ("n_embd", "n_layer", "n_head", "n_head_kv", "n_ff", "n_vocab")}


def weights_read_per_token(shape, kind):
    """Bytes of weights one decoded token reads: every layer's 7 matrices and the output matrix
    (the embedding table is read one row per token)."""
    e, hd = shape["n_embd"], shape["n_embd"] // shape["n_head"]
    kv = shape["n_head_kv"] * hd
    per_layer = 2 * e * e + 2 * e * kv + 3 * e * shape["n_ff"]
    return (shape["n_layer"] * per_layer + shape["n_vocab"] * e) * BYTES_PER_WEIGHT[kind]


def kv_bytes_per_position(shape):
    """f16 K and V of every layer for one position."""
    return 2 * shape["n_layer"] * shape["n_head_kv"] * (shape["n_embd"] // shape["n_head"]) * 2


def context_scaling(args, work, driver):
    """The --context tables: measured cost against context length, then the projection."""
    shape_args = QUICK if args.quick else TINYLLAMA
    shape = shape_of(shape_args)
    lengths = [int(x) for x in args.context.split(",")]
    print(f"# {args.rounds} interleaved rounds, medians; at each context L: a prompt of L - "
          f"{args.gen} tokens, then {args.gen} decoded (positions up to L); greedy, 2 threads; "
          f"llama.cpp = {llama_cpp.NODE_LLAMA_CPP} prebuilt (CPU)")
    cols = ["model", "context", "side", "prompt tok", "prefill tok/s", "decode ms/token",
            "KV cache MiB", "peak RSS MiB"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    stream = {}  # (kind, side) -> weight bytes per second at the shortest context
    for kind in args.types.split(","):
        model = make_model(work, kind, shape_args, args.quick)
        for length in lengths:
            prompt = prompt_with_tokens(driver, model, length - args.gen)
            med = measure(args, driver, model, prompt)
            for side in med:
                med[side]["decode_ms"] = 1e3 / med[side]["decode"]
                if length == lengths[0]:
                    stream[kind, side] = weights_read_per_token(shape, kind) * med[side]["decode"]
            kv_mib = kv_bytes_per_position(shape) * (med["TL"]["pt"] + args.gen) / 2**20
            for side in ("TL", "llama.cpp"):
                m = med[side]
                print(f"| {kind} | {length} | {side} | {m['pt']} | {m['prefill']:.1f} | "
                      f"{m['decode_ms']:.2f} | {kv_mib:.1f} | {m['rss']:.0f} |")
            a, b = med["TL"], med["llama.cpp"]
            print(f"| {kind} | {length} | **TL / llama.cpp** (speed) | | "
                  f"{a['prefill'] / b['prefill']:.2f} | {b['decode_ms'] / a['decode_ms']:.2f} | | "
                  f"{a['rss'] / b['rss']:.2f} |")
            sys.stdout.flush()
    print(f"# llama.cpp system info: {getattr(run_llama_cpp, 'system', '?')}")
    print(f"# Projection on paper, not measured: decode tok/s = (weight bytes per second each "
          f"side streamed above at context {lengths[0]}) / (the model's weight bytes per token + "
          f"its KV cache at L). Attention's arithmetic is left out.")
    cols = ["model", "type", "weights GiB / token", "KV MiB / 1k positions"]
    cols += [f"{side} tok/s at {n}" for side in ("TL", "llama.cpp") for n in lengths]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for kind in args.types.split(","):
        for name, sh in [("this bench's", shape)] + PROJECTED:
            w = weights_read_per_token(sh, kind)
            kv = kv_bytes_per_position(sh)
            row = [name, kind, f"{w / 2**30:.2f}", f"{kv * 1000 / 2**20:.0f}"]
            row += [f"{stream[kind, side] / (w + kv * n):.1f}" for side in ("TL", "llama.cpp")
                    for n in lengths]
            print("| " + " | ".join(row) + " |")


# Per device: rounds, weight types, prompt length and tokens generated. Lavapipe (Mesa's Vulkan
# driver on the CPU, the only Vulkan device of a machine without a GPU) runs TL's TinyLlama Q4_0
# at a few tokens/s at best and its prefill slower still: a short prompt and generation, one
# weight type (--types f16,q8_0,q4_0 for all three).
DEFAULTS = {"cpu": dict(rounds=3, types="f16,q8_0,q4_0", prompt_tokens=128, gen=64),
            "vulkan": dict(rounds=2, types="q4_0", prompt_tokens=32, gen=16)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tl", required=True)
    ap.add_argument("--work", required=True, help="build folder for models and node_modules")
    ap.add_argument("--device", choices=["cpu", "vulkan"], default="cpu",
                    help="vulkan: both sides on the Vulkan device, with smaller defaults")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--types")
    ap.add_argument("--prompt-tokens", type=int)
    ap.add_argument("--gen", type=int)
    ap.add_argument("--quick", action="store_true", help="a small model, one round (smoke test)")
    ap.add_argument("--context", help="comma-separated context lengths: the scaling tables")
    ap.add_argument("--llama-from", help="reuse the npm/ and llama-src/ of this build folder "
                    "(read only) instead of installing them into --work (CPU only)")
    args = ap.parse_args()
    for key, value in DEFAULTS[args.device].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.quick:
        args.rounds, args.gen, args.prompt_tokens = 1, 8, 16
    if not PROGRAM.exists():
        sys.exit(f"llm_bench: {PROGRAM} does not exist yet")
    if args.context and args.device != "cpu":
        sys.exit("llm_bench: --context measures the CPU only")
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    shape = QUICK if args.quick else TINYLLAMA
    print(machine.header(args.tl))
    plan = (f"# {args.rounds} interleaved rounds, medians; prompt <= {args.prompt_tokens} tokens, "
            f"{args.gen} generated, greedy")
    if args.device == "vulkan":
        model = make_model(work, args.types.split(",")[0], shape, args.quick)
        driver = llama_cpp_vulkan_driver(work, model)
        commit = subprocess.run(["git", "-C", str(work / "llama-vulkan-src"), "rev-parse",
                                 "--short=8", "HEAD"], capture_output=True, text=True).stdout.strip()
        print(f"{plan}; both sides on the Vulkan device "
              f"{driver_info(driver, model, 'Hello')['gpus']}: TL `tl run --device vulkan`, "
              f"llama.cpp {commit} (the source {llama_cpp.NODE_LLAMA_CPP} ships) built with "
              f"GGML_VULKAN, "
              f"all layers offloaded, 2 CPU threads"
              + "".join(f", {k}={v}" for k, v in driver.env.items()))
    else:
        driver = llama_cpp_driver(work, args.llama_from)
        if args.context:
            context_scaling(args, work, driver)
            return
        print(f"{plan}, 2 threads; llama.cpp = {llama_cpp.NODE_LLAMA_CPP} prebuilt (CPU)")
    cols = ["model", "side", "prompt tok", "prefill tok/s", "decode tok/s", "TTFT s",
            "peak RSS MiB"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    instructions = None  # counted once, on the first model: it does not depend on the weights
    for kind in args.types.split(","):
        model = make_model(work, kind, shape, args.quick)
        prompt = prompt_with_tokens(driver, model, args.prompt_tokens)
        if instructions is None:
            instructions = instructions_per_token(args.tl, model, prompt)
        med = measure(args, driver, model, prompt)
        for side in ("TL", "llama.cpp"):
            m = med[side]
            print(f"| {kind} | {side} | {m['pt']} | {m['prefill']:.1f} | {m['decode']:.1f} | "
                  f"{m['ttft']:.2f} | {m['rss']:.0f} |")
        a, b = med["TL"], med["llama.cpp"]
        print(f"| {kind} | **TL / llama.cpp** | | {a['prefill'] / b['prefill']:.2f} | "
              f"{a['decode'] / b['decode']:.2f} | {a['ttft'] / b['ttft']:.2f} | "
              f"{a['rss'] / b['rss']:.2f} |")
        sys.stdout.flush()
    if driver.gpu_layers:
        print(f"# llama.cpp: {getattr(run_llama_cpp, 'offloaded', '?')}")
    print(f"# llama.cpp system info: {getattr(run_llama_cpp, 'system', '?')}")
    print(f"# TL's interpreter: {instructions} VM instructions per generated token "
          f"(tl run --stats, 9 tokens against 1)")


if __name__ == "__main__":
    main()
