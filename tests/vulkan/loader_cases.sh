#!/usr/bin/env bash
# The Vulkan loader is opened at first use (vm/vulkan/api.h), never linked. One ctest per case:
# loader_cases.sh BIN_DIR CASE. Exit 0 passes, 77 skips, else fails.
set -uo pipefail
bin=$1 case=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL $case: $*"; exit 1; }
# run CMD...: stdout in out, stderr in err, the status in $code. Never a signal or a hang.
run() {
  timeout 60 "$@" > out 2> err
  code=$?
  [ $code -lt 124 ] || { head -20 err; fail "'$*' exited $code (a crash, a hang or a failed start)"; }
}
expect_code() { [ "$code" = "$1" ] || { head -c 2000 err; fail "exit $code, expected $1"; }; }
expect_err() { grep -q -- "$1" err || { head -c 2000 err; fail "stderr lacks '$1'"; }; }

case $case in
not_needed)
  # A binary that lists the loader in DT_NEEDED pays for it at every start and does not start
  # at all where it is not installed.
  readelf=${READELF:-readelf}
  command -v "$readelf" > /dev/null || { echo "skip: no readelf"; exit 77; }
  for tool in tl tlvm tl-lsp; do
    "$readelf" -d "$bin/$tool" > dyn || fail "$readelf -d $tool failed"
    grep -q NEEDED dyn || fail "$tool: no NEEDED entries read (is it dynamically linked?)"
    ! grep -E 'NEEDED.*libvulkan' dyn || fail "$tool needs the Vulkan loader"
  done
  ;;
no_loader)
  # A file named libvulkan.so.1 that dlopen rejects, found first through LD_LIBRARY_PATH: the
  # same as a machine without the libvulkan1 package, as far as the binaries can tell.
  mkdir lib && : > lib/libvulkan.so.1
  printf 'let x = tensor([1.0, 2.0, 3.0])\nprint(x * 2.0)\n' > p.tl
  run "$bin/tl" compile p.tl -o p.tlbc; expect_code 0
  for tool in "$bin/tl run" "$bin/tlvm"; do
    file=p.tl
    [ "$tool" = "$bin/tlvm" ] && file=p.tlbc
    run env LD_LIBRARY_PATH="$work/lib" $tool --device vulkan $file
    expect_code 2; expect_err "libvulkan.so.1"; expect_err "libvulkan1"; expect_err "--device cpu"
    [ ! -s out ] || fail "$tool printed '$(cat out)' without a device"
    # auto probes Vulkan only where a GPU device node exists; either way it runs on the CPU here.
    run env LD_LIBRARY_PATH="$work/lib" $tool --device auto $file
    expect_code 0
    [ "$(cat out)" = "[2.0, 4.0, 6.0]" ] || fail "$tool --device auto printed '$(cat out)'"
  done
  ;;
*)
  fail "unknown case"
  ;;
esac
echo "ok $case"
