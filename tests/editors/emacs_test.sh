#!/bin/sh
# tl-mode.el in batch Emacs: imenu, the compile regexp, and an eglot session with tl-lsp.
# Usage: emacs_test.sh TL_LSP_BIN REPO_DIR
set -eu
. "$(dirname "$0")/require_tool.sh"
require_tool emacs
export TL_LSP_BIN=$1 TL_REPO=$2
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
# A fresh HOME: no user init; Debian's site-start still puts elpa-eglot on the load-path.
HOME=$home timeout 120 emacs --batch -l "$TL_REPO/tests/editors/tl_mode_test.el" -f ert-run-tests-batch-and-exit
