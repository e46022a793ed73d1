#!/bin/sh
# Optional editor test: headless Neovim opens a .tl file with a shape error through
# editors/nvim/lua/tensorlogic.lua and must receive tl-lsp's diagnostic, and the linter's finding
# on `function`, unless setup({ lint = false }) or after set_lint(false). Without nvim: skipped
# (77) on a developer's machine, a failure in CI (make deps installs it).
# Usage: nvim_test.sh TL_LSP_BIN REPO_DIR
set -u
bin=$1
repo=$2
. "$repo/tests/editors/require_tool.sh"
require_tool nvim
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for lint in 1 0 toggle; do
  TL_LSP_BIN=$bin TL_NVIM_RTP=$repo/editors/nvim TL_NVIM_FILE=$repo/tests/lsp/data/guide_linear_w2x2.tl \
    TL_NVIM_OUT=$out TL_NVIM_LINT=$lint timeout 60 nvim --headless -u NONE -i NONE -n \
    -c "luafile $repo/tests/lsp/nvim_diagnostics.lua" </dev/null >/dev/null 2>&1
  echo "--- lint=$lint"
  cat "$out"
  grep -q '^filetype=tensorlogic$' "$out" || { echo "FAIL: filetype not detected"; exit 1; }
  grep -q '^TIMEOUT$' "$out" && { echo "FAIL: timed out waiting for diagnostics"; exit 1; }
  # `let output = forward(X, W, b)`: line 27 (0-based), W at column 24.
  grep -q '^E0405 27:24 size `D_in` of `forward` is bound to 3 (from `X`)' "$out" ||
    { echo "FAIL: expected the E0405 shape error at 27:24"; exit 1; }
  # `function forward(...)` on line 1: the linter's W0607, only with lint on.
  if [ "$lint" = 1 ]; then
    grep -q '^W0607 1:0 ' "$out" || { echo "FAIL: expected the lint finding W0607 at 1:0"; exit 1; }
  elif grep -q '^W06' "$out"; then
    echo "FAIL: lint findings with lint=$lint"; exit 1
  fi
done
echo "ok"
