#!/usr/bin/env bash
# The whole test suite: builds, lints, then runs the pure unit tests and the
# root suites that use the real kernel with Node's test runner, and after
# them (as a step of its own, whatever the suites did) the check that nothing
# was left behind.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
if [ "$(id -u)" = 0 ]; then bash test/prerequisites.sh; fi
npx tsc -p tsconfig.json
npm run --silent lint
suites=(dist/test/unit)
if [ "$(id -u)" = 0 ]; then suites+=(dist/test/root dist/test/security); else echo "not root: skipping the real-kernel suites in test/root" >&2; fi
status=0
node --test --test-reporter=spec "${suites[@]}" || status=$?
if [ "$(id -u)" = 0 ]; then node --test --test-reporter=spec dist/test/leftovers.test.js || status=$?; fi
exit "$status"
