#!/usr/bin/env bash
# Scalar VM speed: the same programs compiled by `tl compile` and run by `tlvm`, beside lua5.4.
# Prints one markdown table, best of N runs (wall seconds). usage: compare.sh BIN_DIR [RUNS]
set -euo pipefail
bin=$1 runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lua=$(command -v lua5.4 || true)

best() {  # best wall time of $runs runs of "$@", output discarded
  local b=""
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
    b=$(awk -v b="$b" -v t="$(awk -v s="$s" -v e="$e" 'BEGIN{print e-s}')" \
        'BEGIN{ if (b == "" || t < b) print t; else print b }')
  done
  echo "$b"
}

echo "| program | tlvm (s) | lua5.4 (s) | tlvm / lua |"
echo "|---|---|---|---|"
for p in fib loop calls; do
  "$bin/tl" compile "$here/$p.tl" -o "$work/$p.tlbc"
  # Same answer from both, or the comparison means nothing.
  a=$("$bin/tlvm" --device cpu "$work/$p.tlbc")
  t=$(best "$bin/tlvm" --device cpu "$work/$p.tlbc")
  if [ -n "$lua" ]; then
    b=$("$lua" "$here/$p.lua")
    [ "$a" = "$b" ] || { echo "$p: tlvm printed $a, lua printed $b" >&2; exit 1; }
    l=$(best "$lua" "$here/$p.lua")
    echo "| $p | $t | $l | $(awk -v t="$t" -v l="$l" 'BEGIN{printf "%.2f", t/l}') |"
  else
    echo "| $p | $t | (lua5.4 not installed) | |"
  fi
done
