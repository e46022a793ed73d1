# Sourced by the editor tests: `require_tool nvim` returns when the tool is on PATH; otherwise the
# test is skipped (exit 77) on a developer's machine and FAILS in CI (CI=true), where `make deps`
# has installed it, so that a missing install step can never pass as a skip.
require_tool() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "${CI:-}" = true ]; then
    echo "FAIL: '$1' is not installed (CI=true: run 'make deps', which installs it)"
    exit 1
  fi
  echo "'$1' is not installed: skipped (make deps installs it)"
  exit 77
}
