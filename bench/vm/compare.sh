#!/usr/bin/env bash
# Scalar VM speed: the same programs compiled by `tl compile` and run by `tlvm`, beside lua5.4.
# Prints one markdown table, best of N interleaved runs (wall seconds). usage: compare.sh BIN_DIR [RUNS]
set -euo pipefail
bin=$1 runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lua=$(command -v lua5.4 || true)

secs() {  # wall seconds of one run of "$@", output discarded
  local s e
  s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
  awk -v s="$s" -v e="$e" 'BEGIN{print e-s}'
}
min() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "" || b < a) print b; else print a }'; }

echo "| program | tlvm (s) | lua5.4 (s) | TL/Lua speed (lua time / tlvm time; > 1: TL faster) |"
echo "|---|---|---|---|"
for p in fib loop calls; do
  "$bin/tl" compile "$here/$p.tl" -o "$work/$p.tlbc"
  # Same answer from both, or the comparison means nothing.
  a=$("$bin/tlvm" --device cpu "$work/$p.tlbc")
  if [ -z "$lua" ]; then
    t=""
    for _ in $(seq "$runs"); do t=$(min "$t" "$(secs "$bin/tlvm" --device cpu "$work/$p.tlbc")"); done
    echo "| $p | $t | (lua5.4 not installed) | |"
    continue
  fi
  b=$("$lua" "$here/$p.lua")
  [ "$a" = "$b" ] || { echo "$p: tlvm printed $a, lua printed $b" >&2; exit 1; }
  # Interleaved: tlvm, lua, tlvm, lua, ...; each side keeps its best run.
  t="" l=""
  for _ in $(seq "$runs"); do
    t=$(min "$t" "$(secs "$bin/tlvm" --device cpu "$work/$p.tlbc")")
    l=$(min "$l" "$(secs "$lua" "$here/$p.lua")")
  done
  echo "| $p | $t | $l | $(awk -v t="$t" -v l="$l" 'BEGIN{printf "%.2f", l/t}') |"
done
