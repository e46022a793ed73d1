#!/bin/sh
# editors/nvim in headless Neovim: `session` (nvim_session.lua: setup(), attach, omnifunc,
# keymaps, one client per root, crash recovery, clean shutdown) and `syntax` (the fallback
# syntax file on docs/examples). Usage: nvim_test.sh session|syntax TL_LSP_BIN REPO_DIR
set -eu
. "$(dirname "$0")/require_tool.sh"
require_tool nvim
what=$1 bin=$2 repo=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TL_LSP_BIN=$bin TL_NVIM_RTP=$repo/editors/nvim TL_NVIM_OUT=$tmp/out TL_NVIM_DIR=$tmp/ws
export TL_EXAMPLES=$repo/docs/examples HOME=$tmp XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data XDG_STATE_HOME=$tmp/state
mkdir -p "$tmp/ws/.git"
cat > "$tmp/ws/syntax_cases.tl" <<'TL'
let y = x.in + m.shape
let a = tensor<float16>([1.0], device: cpu)
fn f(x: float16[?, N]) -> bool { return 1 < 2 }
let s = "ab\u{1F600}\q
let t = 1
TL
for f in a b c; do
  printf 'let x = tensor<float16>([1.0, 2.0], device: cpu)\nlet y = x @ 3\n' > "$tmp/ws/$f.tl"
done
timeout 90 nvim --headless -u NONE -i NONE -n -c "luafile $repo/tests/editors/nvim_$what.lua" </dev/null >"$tmp/log" 2>&1 || true
[ -f "$tmp/out" ] || { echo "FAIL: nvim wrote nothing"; cat "$tmp/log"; exit 1; }
cat "$tmp/out"
case $what in
  session)
    grep -q '^DONE$' "$tmp/out" || { echo "FAIL: did not finish"; exit 1; }
    ! grep -q '^FAIL' "$tmp/out" || exit 1 ;;
  syntax)
    # Every example is detected and highlighted by the fallback syntax.
    [ "$(grep -c '^file .* tensorlogic tensorlogic$' "$tmp/out")" -eq $(( $(ls "$TL_EXAMPLES"/*.tl | wc -l) + 1 )) ] ||
      { echo "FAIL: an example without filetype or syntax"; exit 1; }
    last=$(sed -n '/^file syntax_cases.tl/,$p' "$tmp/out")
    for want in ' fn tlKeyword$' ' float16 tlType$' ' return tlStatement$' ' load_model tlFunction$' \
                ' Linear tlComment$' ' [0-9][0-9]* tlNumber$'; do
      grep -q "$want" "$tmp/out" || { echo "FAIL: no '$want' in docs/examples"; exit 1; }
    done
    for want in '^1:11 in tlMember$' '^1:18 shape tlMember$' '^2:15 < tlTypeArg$' '^2:23 > tlTypeArg$' \
                '^3:17 ? tlUnknownDim$' '^3:43 < tlOperator$' '^4:13 u tlEscape$' '^4:22 q tlBadEscape$' '^5:1 let tlKeyword$' '^5:9 1 tlNumber$'; do
      echo "$last" | grep -q "$want" || { echo "FAIL: syntax_cases.tl: no '$want'"; exit 1; }
    done
    echo ok ;;
esac
