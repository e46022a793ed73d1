#!/usr/bin/env python3
"""docs/examples/llama.tl on bad input: a GGUF of another architecture is an error naming it; a
prompt longer than the context is a run-time error at its line. usage: bad_input.py BIN_DIR DEVICE F16_GGUF"""
import os
import struct
import subprocess
import sys
import tempfile


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def main():
    bin_dir, device, f16 = sys.argv[1:4]
    here = os.path.dirname(os.path.abspath(__file__))
    program = os.path.join(here, "..", "..", "docs", "examples", "llama.tl")
    tl = [os.path.join(bin_dir, "tl"), "run", "--device", device, program]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        gemma = os.path.join(tmp, "gemma.gguf")
        with open(gemma, "wb") as f:  # GGUF v3: no tensors, one metadata key (type 8: string)
            f.write(b"GGUF" + struct.pack("<IQQ", 3, 0, 1))
            f.write(gguf_string("general.architecture") + struct.pack("<I", 8) + gguf_string("gemma"))
        run = subprocess.run(tl + [gemma, "Hello", "4"], capture_output=True, text=True)
        if run.returncode != 1 or "unsupported architecture `gemma`" not in run.stderr:
            failures.append(f"architecture gemma: exit {run.returncode}, {run.stderr}")
    run = subprocess.run(tl + [f16, "Hello", "300"], capture_output=True, text=True)
    if run.returncode != 1 or "llama.tl:" not in run.stderr or "longer than the context" not in run.stderr:
        failures.append(f"prompt longer than the context: exit {run.returncode}, {run.stderr}")
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
