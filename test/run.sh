#!/usr/bin/env bash
# The whole test suite: builds, then runs the pure unit tests and the root
# suites that use the real kernel, with one summary from Node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
if [ "$(id -u)" = 0 ]; then bash test/prerequisites.sh; fi
npx tsc -p tsconfig.json
suites=(dist/test/unit)
if [ "$(id -u)" = 0 ]; then suites+=(dist/test/root); else echo "not root: skipping the real-kernel suites in test/root" >&2; fi
node --test --test-reporter=spec "${suites[@]}"
