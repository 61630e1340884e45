#!/usr/bin/env bash
# The UI's own tests — Vitest for the front end and the Electron main process, and the Playwright run in Debian's
# Chromium against the real backend (`timao up --demo` on free ports) — folded into one closing line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/build-ui.sh"
(cd "$root/electron" && { [ -d node_modules ] || ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error; })
free_port() { "$root/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export TIMAO_GATEWAY_PORT="$(free_port)" TIMAO_STREAMCAP_PORT="$(free_port)"
cd "$root/frontend"
node scripts/summary.mjs frontend electron e2e
