#!/usr/bin/env bash
# The whole test run, from a fresh clone: system packages, npm dependencies,
# lint, typecheck, build + publint, API docs, then the unit and integration
# vitest projects. Integration suites need root (network namespaces, daemons);
# with CI=true a missing prerequisite fails the run instead of skipping.
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."

step() { printf '\n=== %s (%(%H:%M:%S)T)\n' "$1" -1; }

step "system packages"
bash scripts/install-system.sh

step "npm dependencies"
if [[ -n ${CI:-} || ! -d node_modules ]]; then
  npm ci --no-audit --no-fund
fi

step "lint"
npx biome ci .

step "typecheck"
npx turbo run typecheck --output-logs=errors-only
npx tsc --noEmit -p deploy

step "build + publint"
npx turbo run build publint --output-logs=errors-only

step "packages as a stranger installs them"
node scripts/pack-check.mjs

step "api docs"
npx typedoc --logLevel Warn

step "tests"
rm -f .vitest-results.json
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json=.vitest-results.json "$@"
status=$?
set -e
node scripts/test-summary.mjs .vitest-results.json
exit $status
