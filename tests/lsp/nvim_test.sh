#!/bin/sh
# Optional editor test: headless Neovim opens a .tl file with a shape error through
# editors/nvim/lua/tensorlogic.lua and must receive tl-lsp's diagnostic. Skipped (77) without nvim.
# Usage: nvim_test.sh TL_LSP_BIN REPO_DIR
set -u
command -v nvim >/dev/null 2>&1 || { echo "nvim not installed: skipped"; exit 77; }
bin=$1
repo=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
TL_LSP_BIN=$bin TL_NVIM_RTP=$repo/editors/nvim TL_NVIM_FILE=$repo/tests/lsp/data/guide_linear_w2x2.tl \
  TL_NVIM_OUT=$out timeout 60 nvim --headless -u NONE -i NONE -n \
  -c "luafile $repo/tests/lsp/nvim_diagnostics.lua" </dev/null >/dev/null 2>&1
cat "$out"
grep -q '^filetype=tensorlogic$' "$out" || { echo "FAIL: filetype not detected"; exit 1; }
# `let output = forward(X, W, b)`: line 27 (0-based), W at column 24.
grep -q '^E0405 27:24 size `D_in` of `forward` is bound to 3 (from `X`)' "$out" ||
  { echo "FAIL: expected the E0405 shape error at 27:24"; exit 1; }
echo "ok"
