#!/usr/bin/env bash
# The UI's own tests (Vitest for the front end and the Electron main process), folded into one closing line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -f "$root/frontend/package.json" ]; then
  echo "ui: 0 passed, 0 failed"
  exit 0
fi
bash "$root/scripts/build-ui.sh"
if [ -f "$root/electron/package.json" ]; then
  (cd "$root/electron" && { [ -d node_modules ] || ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error; })
fi
cd "$root/frontend"
node scripts/summary.mjs
