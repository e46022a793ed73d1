#!/usr/bin/env python3
"""Writes tiny_block.safetensors for llama_block.tl: the weights of one LLaMA-style decoder block
(dim 32, 2 heads of 16, SwiGLU feed-forward of 64), an input of 8 tokens, a causal mask, and the
block's output computed here in float64 with NumPy from the same f16 weights.

Independent of the TL toolchain: only NumPy and the safetensors format (8-byte little-endian
header length, a JSON header, then the raw tensor bytes). Run: python3 make_tiny_block.py [OUT]
bench/e2e uses write_block() for the same block at LLM sizes.
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np

EPS = 1e-6


def rms_norm(x, w):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + EPS) * w


def silu(x):
    return x / (1.0 + np.exp(-x))


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def block(t, heads):
    """The decoder block in float64; weights in PyTorch nn.Linear layout [out, in]."""
    x = t["x"]
    tokens, dim = x.shape
    head = dim // heads
    h = rms_norm(x, t["attn_norm.weight"])
    q, k, v = (h @ t[f"attn_{n}.weight"].T for n in "qkv")
    split = lambda a: a.reshape(tokens, heads, head).transpose(1, 0, 2)  # [heads, tokens, head]
    q, k, v = split(q), split(k), split(v)
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(head) + t["mask"]
    attn = (softmax(scores) @ v).transpose(1, 0, 2).reshape(tokens, dim)
    x = x + attn @ t["attn_output.weight"].T
    h = rms_norm(x, t["ffn_norm.weight"])
    gated = silu(h @ t["ffn_gate.weight"].T) * (h @ t["ffn_up.weight"].T)
    return x + gated @ t["ffn_down.weight"].T


def block_tensors(dim, heads, ffn, tokens, seed=2026):
    """The block's f16 weights, an f16 input of `tokens` tokens and the causal mask."""
    rng = np.random.default_rng(seed)
    f16 = lambda a: a.astype(np.float16)
    t = {
        "attn_norm.weight": f16(1.0 + 0.1 * rng.standard_normal(dim)),
        "ffn_norm.weight": f16(1.0 + 0.1 * rng.standard_normal(dim)),
        "x": f16(rng.standard_normal((tokens, dim))),
        # 0 on and below the diagonal, a large negative number above: token i sees tokens <= i.
        "mask": f16(np.triu(np.full((tokens, tokens), -30000.0), k=1)),
    }
    for name, (rows, cols) in {
        "attn_q": (dim, dim), "attn_k": (dim, dim), "attn_v": (dim, dim),
        "attn_output": (dim, dim), "ffn_gate": (ffn, dim), "ffn_up": (ffn, dim),
        "ffn_down": (dim, ffn),
    }.items():
        t[f"{name}.weight"] = f16(rng.standard_normal((rows, cols)) / np.sqrt(cols))
    return t


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, a in tensors.items():
        data = np.ascontiguousarray(a).tobytes()
        dtype = {np.float16: "F16", np.float32: "F32"}[a.dtype.type]
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def write_block(path, dim=32, heads=2, ffn=64, tokens=8, expected=True):
    """Writes the block's tensors to `path`; with `expected`, also its float64 output (as F32)."""
    t = block_tensors(dim, heads, ffn, tokens)
    if expected:
        t["expected"] = block({k: v.astype(np.float64) for k, v in t.items()}, heads).astype(np.float32)
    write_safetensors(path, t, {"format": "pt", "made_by": "make_tiny_block.py"})
    return t


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("tiny_block.safetensors")
    t = write_block(out)
    print(f"wrote {out}: {len(t)} tensors, {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
