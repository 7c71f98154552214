#!/usr/bin/env bash
# Sets up a fresh machine and runs the lab (as root): Debian packages, npm
# dependencies, a build of every package, then the lab in network namespaces
# on this machine. Ctrl-C stops it and removes everything it made.
# Pass --once to print the lab's state and exit.
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."
bash scripts/install-system.sh
[[ -d node_modules ]] || npm ci --no-audit --no-fund
npx turbo run build --output-logs=errors-only
exec npx tsx examples/lab/src/main.ts "$@"
