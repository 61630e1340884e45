#!/usr/bin/env bash
# Build the React UI into frontend/dist (the gateway serves it at /). Without Node the suite still runs; the UI
# is then missing and the gateway says so at /.
set -euo pipefail
cd "$(dirname "$0")/../frontend"
[ -f package.json ] || exit 0
if ! command -v npm >/dev/null; then
  echo "npm not found: skipping the UI build (the API still works; install Node.js 20 for the UI)" >&2
  exit 0
fi
stamp=node_modules/.stamp
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
if [ ! -f dist/index.html ] || [ ! -f dist/overlay.html ] \
  || [ -n "$(find src index.html overlay.html vite.config.ts -newer dist/index.html -print -quit 2>/dev/null)" ]; then
  npm run build --silent
fi
