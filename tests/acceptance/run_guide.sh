#!/usr/bin/env bash
# Acceptance test: the model-loading guide, one translation. Joins the translation's
# ```tensorlogic blocks in order into one program and, in a scratch directory holding the model
# files the guide names, checks it (no diagnostics), runs it with `tl run` and with
# `tl compile` + `tlvm`, and compares the printed output with the float64 reference within f16
# tolerance. It also checks that save_model wrote a safetensors file.
# usage: run_guide.sh BIN_DIR GUIDE.md [DEVICE]
set -euo pipefail
bin=$1 guide=$2 device=${3:-cpu}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/models/." "$work/"

awk '/^```tensorlogic/{inb=1; next} /^```/{if(inb){print ""}; inb=0; next} inb{print}' "$guide" > "$work/guide.tl"
cd "$work"

fail() { echo "FAIL ($(basename "$guide")): $*" >&2; exit 1; }

diags=$("$bin/tl" check guide.tl 2>&1) || fail "tl check reported errors:"$'\n'"$diags"
[ -z "$diags" ] || fail "tl check printed diagnostics:"$'\n'"$diags"

# Expected: PyTorch's float64 result for the guide's inputs (fixtures/safetensors/linear.expected.json).
expected="2.2100753784179688 2.8200531005859375 4.910148620605469 6.4199066162109375 7.610221862792969 10.019760131835938 10.310295104980469 13.619613647460938"

check_output() {  # $1: what ran, $2: its stdout
  local out=$2
  grep -qx 'Output shape: \[4, 2\]' <<<"$out" || fail "$1: no 'Output shape: [4, 2]' line in:"$'\n'"$out"
  local values
  values=$(grep '^Output: ' <<<"$out" | sed 's/^Output: //' | tr -d '[],' ) || fail "$1: no 'Output:' line"
  awk -v got="$values" -v want="$expected" -v what="$1" 'BEGIN {
    n = split(got, g, " "); m = split(want, w, " ");
    if (n != m) { print what ": expected " m " values, got " n > "/dev/stderr"; exit 1 }
    for (i = 1; i <= n; i++) {
      # f16 has an 11-bit significand: allow 2 ulp of the result (relative 2^-9) plus the
      # 4-decimal print rounding (5e-5).
      tol = 2 * (w[i] < 0 ? -w[i] : w[i]) / 1024 + 5e-5; d = g[i] - w[i]; if (d < 0) d = -d;
      if (d > tol) { print what ": value " i " is " g[i] ", expected " w[i] " +- " tol > "/dev/stderr"; exit 1 }
    }
  }' || fail "$1: values differ from the float64 reference"
}

out=$("$bin/tl" run --device "$device" guide.tl) || fail "tl run failed"
check_output "tl run" "$out"
[ -s output.safetensors ] || fail "save_model did not write output.safetensors"
"$bin/tl" inspect output.safetensors >/dev/null || fail "tl inspect cannot read the saved model"

rm -f output.safetensors
"$bin/tl" compile guide.tl -o guide.tlbc || fail "tl compile failed"
out=$("$bin/tlvm" --device "$device" guide.tlbc) || fail "tlvm failed"
check_output "tlvm" "$out"
[ -s output.safetensors ] || fail "save_model (tlvm) did not write output.safetensors"
echo "ok: $(basename "$guide")"
