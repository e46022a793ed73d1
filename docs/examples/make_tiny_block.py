#!/usr/bin/env python3
"""Writes tiny_block.safetensors for llama_block.tl: the weights of one LLaMA-style decoder block
(dim 32, 2 heads of 16, SwiGLU feed-forward of 64), an input of 8 tokens, a causal mask, and the
block's output computed here in float64 with NumPy from the same f16 weights.

Independent of the TL toolchain: only NumPy and the safetensors format (8-byte little-endian
header length, a JSON header, then the raw tensor bytes). Run: python3 make_tiny_block.py
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np

DIM, HEADS, FFN, TOKENS, EPS = 32, 2, 64, 8, 1e-6
HEAD = DIM // HEADS


def rms_norm(x, w):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + EPS) * w


def silu(x):
    return x / (1.0 + np.exp(-x))


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def block(t):
    """The decoder block in float64; weights in PyTorch nn.Linear layout [out, in]."""
    x = t["x"]
    h = rms_norm(x, t["attn_norm.weight"])
    q, k, v = (h @ t[f"attn_{n}.weight"].T for n in "qkv")
    split = lambda a: a.reshape(TOKENS, HEADS, HEAD).transpose(1, 0, 2)  # [heads, tokens, head]
    q, k, v = split(q), split(k), split(v)
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(HEAD) + t["mask"]
    attn = (softmax(scores) @ v).transpose(1, 0, 2).reshape(TOKENS, DIM)
    x = x + attn @ t["attn_output.weight"].T
    h = rms_norm(x, t["ffn_norm.weight"])
    gated = silu(h @ t["ffn_gate.weight"].T) * (h @ t["ffn_up.weight"].T)
    return x + gated @ t["ffn_down.weight"].T


def main():
    rng = np.random.default_rng(2026)
    f16 = lambda a: a.astype(np.float16)
    t = {
        "attn_norm.weight": f16(1.0 + 0.1 * rng.standard_normal(DIM)),
        "ffn_norm.weight": f16(1.0 + 0.1 * rng.standard_normal(DIM)),
        "x": f16(rng.standard_normal((TOKENS, DIM))),
        # 0 on and below the diagonal, a large negative number above: token i sees tokens <= i.
        "mask": f16(np.triu(np.full((TOKENS, TOKENS), -30000.0), k=1)),
    }
    for name, (rows, cols) in {
        "attn_q": (DIM, DIM), "attn_k": (DIM, DIM), "attn_v": (DIM, DIM),
        "attn_output": (DIM, DIM), "ffn_gate": (FFN, DIM), "ffn_up": (FFN, DIM),
        "ffn_down": (DIM, FFN),
    }.items():
        t[f"{name}.weight"] = f16(rng.standard_normal((rows, cols)) / np.sqrt(cols))
    expected = block({k: v.astype(np.float64) for k, v in t.items()})
    t["expected"] = expected.astype(np.float32)  # F32: the reference, not rounded to f16

    header, blobs, offset = {"__metadata__": {"format": "pt", "made_by": "make_tiny_block.py"}}, [], 0
    for name, a in t.items():
        data = np.ascontiguousarray(a).tobytes()
        dtype = {np.float16: "F16", np.float32: "F32"}[a.dtype.type]
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("tiny_block.safetensors"))
    out.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    print(f"wrote {out}: {len(t)} tensors, {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
