#!/bin/sh
# Installs editors/vscode's node packages from its committed package-lock.json with `npm ci`,
# once: a later run whose lock file is unchanged reuses node_modules (a stamp holds its hash).
# Usage: npm_ci.sh REPO_DIR
set -eu
. "$(dirname "$0")/require_tool.sh"
require_tool node
require_tool npm
cd "$1/editors/vscode"
hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f node_modules/.tl-lock-hash ] && [ "$(cat node_modules/.tl-lock-hash)" = "$hash" ]; then
  echo "node_modules up to date"
  exit 0
fi
npm ci --no-audit --no-fund
echo "$hash" > node_modules/.tl-lock-hash
