#!/usr/bin/env python3
"""Writes a TL program of ordinary statements of about SIZE bytes (default 5 MiB) to stdout:
functions of a dozen statements each (lets, arithmetic on tensors, a loop, an if/else, prints)
and one top-level call per function. It checks clean, compiles and runs, so that `tl check`,
`tl compile` and `tl run` can be measured on it (docs/performance.md, "Memory"):

    python3 bench/sema/big_source.py > /tmp/big.tl
    /usr/bin/time -v build/bin/tl check /tmp/big.tl
"""
import sys

size = int(sys.argv[1]) if len(sys.argv) > 1 else 5 << 20
out, written, n = [], 0, 0
while written < size:
    text = f"""fn g{n}(a: float16[N], n: int) -> float16[N] {{
    let x = n + 1 * 3
    let t = a * 2.5 + a
    let acc = 0
    for i in range(n) {{
        acc = acc + i * x
    }}
    if acc > 10 {{
        print("big", acc, sum(t))
    }} else {{
        print("small", acc)
    }}
    let y = t * a - t / 2.0
    return y + a
}}
let r{n} = g{n}(ones(4), {n % 13})
"""
    out.append(text)
    written += len(text)
    n += 1
sys.stdout.write("".join(out))
