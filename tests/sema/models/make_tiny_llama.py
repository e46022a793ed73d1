#!/usr/bin/env python3
"""Writes tiny_llama.gguf: a LLaMA-shaped GGUF v3 header (names as llama.cpp writes them) with
small F32 tensors and one I32 tensor, for the checker's model-aware shape tests."""
import struct, sys

# name, row-major shape (GGUF stores the reverse), ggml type (0 F32, 26 I32)
TENSORS = [
    ("token_embd.weight", [8, 4], 0),
    ("blk.0.attn_norm.weight", [4], 0),
    ("blk.0.attn_q.weight", [4, 4], 0),
    ("blk.0.attn_k.weight", [2, 4], 0),
    ("blk.0.ffn_up.weight", [6, 4], 0),
    ("blk.0.ffn_down.weight", [4, 6], 0),
    ("output_norm.weight", [4], 0),
    ("tokens", [3], 26),
]

def s(x):
    b = x.encode()
    return struct.pack("<Q", len(b)) + b

out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(TENSORS), 1))
out += s("general.architecture") + struct.pack("<I", 8) + s("llama")
offset = 0
for name, shape, t in TENSORS:
    out += s(name) + struct.pack("<I", len(shape))
    for d in reversed(shape):
        out += struct.pack("<Q", d)
    out += struct.pack("<IQ", t, offset)
    n = 1
    for d in shape:
        n *= d
    offset += (n * 4 + 31) // 32 * 32
out += b"\0" * ((32 - len(out) % 32) % 32)
out += b"\0" * offset
open(sys.argv[1] if len(sys.argv) > 1 else "tiny_llama.gguf", "wb").write(out)
