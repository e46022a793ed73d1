#!/usr/bin/env python3
"""docs/examples/llama.tl against llama.cpp's recorded outputs (../shared/fixtures/llama).

usage: check_llama.py BIN_DIR DEVICE FIXTURES_DIR MODEL_FILE TOLERANCE [greedy]

For every prompt of expected.json: tokenize equals llama.cpp's prompt tokens; with teacher forcing
(llama.cpp's logits.tokens fed to llama_logits) every position's next-token probabilities are
within TOLERANCE of softmax(llama.cpp's logits); with `greedy`, llama_generate's 16 tokens equal
llama.cpp's greedy continuation. Prints the largest probability difference measured.
"""
import json
import math
import os
import struct
import subprocess
import sys
import tempfile


def write_safetensors(path, tensors):
    """tensors: name -> (shape, flat list of floats), written as F16."""
    header, blobs, offset = {}, [], 0
    for name, (shape, values) in tensors.items():
        data = struct.pack(f"<{len(values)}e", *values)
        header[name] = {"dtype": "F16", "shape": list(shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def softmax_rows(logits):
    """Row-wise softmax in float64, flattened."""
    out = []
    for row in logits:
        top = max(row)
        e = [math.exp(v - top) for v in row]
        total = sum(e)
        out.extend(v / total for v in e)
    return out


# Below this top-1 minus top-2 logit margin of llama.cpp's, the two tokens are closer than float16
# can tell logits of this size apart (an ulp is 0.0078 at 8), so either may come first.
FRAGILE_MARGIN = 0.02


def greedy_mismatch(tokens, case):
    """None when TL's greedy tokens are llama.cpp's: identical up to llama.cpp's first step whose
    margin is below FRAGILE_MARGIN; at that step one of llama.cpp's two best; after it free."""
    want, margins = case["greedy"]["tokens"], case["greedy"]["margins"]
    if len(tokens) != len(want):
        return f"greedy gave {len(tokens)} tokens, llama.cpp {len(want)}"
    for step, (got, expected) in enumerate(zip(tokens, want)):
        if margins[step] < FRAGILE_MARGIN:
            row = case["logits"]["values"][len(case["prompt_tokens"]) - 1 + step]
            best_two = sorted(range(len(row)), key=lambda i: -row[i])[:2]
            if got not in best_two:
                return f"greedy step {step}: {got}, not one of llama.cpp's best two {best_two}"
            return None
        if got != expected:
            return f"greedy step {step}: {got}, llama.cpp {expected} (margin {margins[step]})"
    return None


def main():
    bin_dir, device, fixtures, model_file, tolerance = sys.argv[1:6]
    greedy = len(sys.argv) > 6 and sys.argv[6] == "greedy"
    tolerance = float(tolerance)
    expected = json.load(open(os.path.join(fixtures, "expected.json")))
    cases = expected["models"][model_file]["cases"]
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        ref = os.path.join(tmp, "reference.safetensors")
        tensors = {}
        for c, case in enumerate(cases):
            tokens, values = case["logits"]["tokens"], case["logits"]["values"]
            tensors[f"tokens_{c}"] = ([len(tokens)], tokens)
            tensors[f"probs_{c}"] = ([len(values), len(values[0])], softmax_rows(values))
            tensors[f"prompt_{c}"] = ([len(case["prompt_tokens"])], case["prompt_tokens"])
        write_safetensors(ref, tensors)
        cmd = [os.path.join(bin_dir, "tl"), "run", "--device", device,
               os.path.join(here, "llama_check.tl"), os.path.join(fixtures, model_file), ref,
               "greedy" if greedy else "forced"] + [case["prompt"] for case in cases]
        run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stdout, run.stderr)
        return 1
    failures, worst, exact = [], 0.0, 0
    for line in run.stdout.splitlines():
        what, c, value = line.split(" ", 2)
        case = cases[int(c)]
        if what == "tokens" and json.loads(value) != case["prompt_tokens"]:
            failures.append(f"prompt {c}: tokenize gives {value}, llama.cpp {case['prompt_tokens']}")
        elif what == "max_prob_diff":
            diff = float(value)
            worst = max(worst, diff)
            if not diff <= tolerance:
                failures.append(f"prompt {c}: probabilities differ by {diff} > {tolerance}")
        elif what == "greedy":
            problem = greedy_mismatch(json.loads(value), case)
            if problem:
                failures.append(f"prompt {c}: {problem}")
            else:
                exact += json.loads(value) == case["greedy"]["tokens"]
    seen = {line.split(" ", 1)[0] for line in run.stdout.splitlines()}
    wanted = {"tokens", "max_prob_diff"} | ({"greedy"} if greedy else set())
    if seen != wanted:
        failures.append(f"output lacks {sorted(wanted - seen)}: {run.stdout}")
    print(f"{model_file} on {device}: max |p - p_llama.cpp| = {worst:.5f} (tolerance {tolerance})")
    if greedy:
        print(f"greedy continuations identical to llama.cpp's: {exact} of {len(cases)}")
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
