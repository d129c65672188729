#!/usr/bin/env bash
# The whole test suite: unit tests (pure, no root) then the root suites that use the real kernel.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
npx tsc -p tsconfig.json
node --test --test-reporter=spec dist/test/unit
