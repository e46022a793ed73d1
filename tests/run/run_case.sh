#!/usr/bin/env bash
# Golden run test: runs cases/NAME.tl with `tl run` and with `tl compile` + `tlvm`, and compares
# stdout with NAME.stdout, the exit code with NAME.exit (default 0) and, when NAME.stderr exists,
# stderr with it (paths are shown relative to the case directory, as the case file is run from
# there). usage: run_case.sh BIN_DIR CASE.tl [DEVICE [EXPECTED_DIR]]
# EXPECTED_DIR holds NAME.stdout/.stderr/.exit when they are not beside the case (docs/examples).
# NAME.args, when it exists, holds the program's arguments, one per line (args()).
set -uo pipefail
bin=$1 case=$2 device=${3:-cpu}
dir=$(cd "$(dirname "$case")" && pwd)
name=$(basename "$case" .tl)
expected=$(cd "${4:-$dir}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$dir"

program_args=()
[ -f "$expected/$name.args" ] && mapfile -t program_args < "$expected/$name.args"
want_exit=0
[ -f "$expected/$name.exit" ] && want_exit=$(cat "$expected/$name.exit")
status=0

compare() {  # $1: what ran, $2: stdout file, $3: stderr file, $4: exit code
  if [ "$4" != "$want_exit" ]; then
    echo "FAIL $name ($1): exit code $4, expected $want_exit"; cat "$3"; status=1
  fi
  if [ -f "$expected/$name.stdout" ] && ! diff -u "$expected/$name.stdout" "$2" > "$work/diff"; then
    echo "FAIL $name ($1): stdout differs"; cat "$work/diff"; status=1
  fi
  if [ -f "$expected/$name.stderr" ] && ! diff -u "$expected/$name.stderr" "$3" > "$work/diff"; then
    echo "FAIL $name ($1): stderr differs"; cat "$work/diff"; status=1
  fi
}

"$bin/tl" run --device "$device" "$name.tl" "${program_args[@]}" > "$work/out" 2> "$work/err"
compare "tl run" "$work/out" "$work/err" $?

# Through bytecode: only for programs that compile (static errors have no bytecode to run).
if "$bin/tl" compile "$name.tl" -o "$work/$name.tlbc" 2> "$work/cerr"; then
  "$bin/tlvm" --device "$device" "$work/$name.tlbc" "${program_args[@]}" > "$work/out2" 2> "$work/err2"
  code=$?
  # tlvm names the source file as the compiler recorded it: the same relative name.
  compare "tlvm" "$work/out2" "$work/err2" $code
elif [ "$want_exit" = 0 ]; then
  echo "FAIL $name (tl compile):"; cat "$work/cerr"; status=1
fi
[ $status = 0 ] && echo "ok $name"
exit $status
