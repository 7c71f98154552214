#!/usr/bin/env bash
# The README's first command: sets up a fresh machine and runs F5's Kubernetes
# + Calico + BIG-IP lab on Tortie (as root): Debian packages, npm
# dependencies, a build, then `examples/lab`. Ctrl-C stops the lab and
# removes everything it made.
#   bash scripts/lab.sh [up] [--nodes N] [--datastore embedded|etcd] [--once]
#   bash scripts/lab.sh status | down | --help
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."
lab() { exec npx tsx examples/lab/src/main.ts "$@"; }

for a in "$@"; do
  if [[ $a == --help || $a == -h ]]; then
    if [[ -d node_modules ]]; then lab --help; fi
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
  fi
done
if [[ $(id -u) -ne 0 ]]; then
  echo "lab: needs root (it installs Debian packages and creates network namespaces); run: sudo bash scripts/lab.sh" >&2
  exit 1
fi
case "${1:-}" in
  status | down) lab "$@" ;;
esac
bash scripts/install-system.sh
[[ -d node_modules ]] || npm ci --no-audit --no-fund
npx turbo run build --output-logs=errors-only
lab "$@"
