#!/usr/bin/env python3
"""An independent safetensors reader, written from the format description (not from our C++),
checking the file tl_model_write_sample wrote.

Format: 8-byte little-endian u64 N; N bytes of UTF-8 JSON (an object): "__metadata__" -> {str: str},
every other key a tensor {"dtype", "shape", "data_offsets": [begin, end]} relative to the byte
buffer that follows the header. Data is little-endian, C order.
"""
import json
import struct
import sys

try:
    import numpy as np
except ImportError:  # ctest treats 77 as "skipped"
    print("numpy is not installed for this interpreter", file=sys.stderr)
    sys.exit(77)

DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "I32": np.int32}


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    raw_header = data[8 : 8 + n]
    header = json.loads(raw_header.decode("utf-8"))
    buf = data[8 + n :]
    meta = header.pop("__metadata__", {})
    tensors = {}
    spans = []
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dt = np.dtype(DTYPES[info["dtype"]]).newbyteorder("<")
        arr = np.frombuffer(buf[begin:end], dtype=dt).reshape(info["shape"])
        tensors[name] = arr
        spans.append((begin, end, name))
    return n, raw_header, meta, tensors, sorted(spans), len(buf)


def main(path):
    n, raw_header, meta, tensors, spans, buf_len = read(path)
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    check(n % 8 == 0, f"header length {n} is not a multiple of 8")
    check(raw_header.rstrip(b" ").endswith(b"}"), "header padding is not spaces after the JSON")
    check(meta == {"format": "pt", "writer": "tl"}, f"metadata {meta}")
    # Contiguous, in name order (the reference writer's order for a single dtype), covering the buffer.
    at = 0
    for begin, end, name in spans:
        check(begin == at, f"{name} begins at {begin}, expected {at}")
        at = end
    check(at == buf_len, f"tensors cover {at} of {buf_len} data bytes")
    check([s[2] for s in spans] == sorted(tensors), f"data order {[s[2] for s in spans]}")

    want_weight = (np.arange(15, dtype=np.float32) * np.float32(0.37) - np.float32(2.0)).astype(np.float16)
    expect = {
        "weight": ((3, 5), want_weight.reshape(3, 5)),
        "bias": ((3,), np.array([1.0, np.inf, 2.0**-24], dtype=np.float16)),
        "scalar": ((), np.array(-0.0, dtype=np.float16)),
        "empty": ((0, 4), np.zeros((0, 4), dtype=np.float16)),
    }
    check(sorted(tensors) == sorted(expect), f"names {sorted(tensors)}")
    for name, (shape, values) in expect.items():
        t = tensors.get(name)
        if t is None:
            continue
        check(t.dtype == np.float16, f"{name} dtype {t.dtype}")
        check(t.shape == shape, f"{name} shape {t.shape} != {shape}")
        check(t.tobytes() == values.tobytes(), f"{name} values {t!r} != {values!r}")

    if failures:
        for f in failures:
            print("FAIL:", f)
        return 1
    print(f"ok: {len(tensors)} tensors, header {n} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
