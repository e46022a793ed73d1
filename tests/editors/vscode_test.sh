#!/bin/sh
# The VS Code extension's checks, after npm_ci.sh: `lsp` drives tl-lsp through vscode-jsonrpc,
# `grammar` tokenizes with vscode-textmate, `vsix` bundles with esbuild and packages with vsce.
# Usage: vscode_test.sh lsp|grammar|vsix TL_LSP_BIN REPO_DIR
set -eu
. "$(dirname "$0")/require_tool.sh"
require_tool node
what=$1
export TL_LSP_BIN=$2
cd "$3/editors/vscode"
[ -d node_modules/vscode-jsonrpc ] || { echo "FAIL: node_modules missing: run tests/editors/npm_ci.sh"; exit 1; }
case $what in
  lsp) exec node --test test/lsp.test.js ;;
  grammar) exec node --test test/grammar.test.js ;;
  vsix)
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    npx --no-install vsce package --out "$out/tensorlogic.vsix" </dev/null
    # The bundle and the contributions only (not node_modules: 321 files before bundling).
    unzip -Z1 "$out/tensorlogic.vsix" | sort > "$out/files"
    cat "$out/files"
    for f in extension/package.json extension/dist/extension.js extension/syntaxes/tl.tmLanguage.json \
             extension/snippets/tensorlogic.json extension/LICENSE.txt extension/readme.md extension/changelog.md; do
      grep -qx "$f" "$out/files" || { echo "FAIL: $f missing from the .vsix"; exit 1; }
    done
    n=$(wc -l < "$out/files")
    [ "$n" -le 16 ] || { echo "FAIL: $n files in the .vsix"; exit 1; }
    grep -q node_modules "$out/files" && { echo "FAIL: node_modules in the .vsix"; exit 1; }
    # The bundle loads its dependencies itself: only `vscode` stays external.
    ! grep -q "require(\"vscode-languageclient" dist/extension.js || { echo "FAIL: not bundled"; exit 1; }
    echo ok ;;
  *) echo "unknown check $what"; exit 2 ;;
esac
