#!/usr/bin/env bash
# Runs this example on a machine that cannot reach Docker Hub (like the one
# tsc-compose is developed on): builds look-alike postgres, redis and node
# images from Debian packages (cached under /var/cache/tsc-compose-test-images),
# serves them from a local registry on 127.0.0.1 as a Docker Hub mirror, and
# runs `tsc-compose up -d --wait` on the unchanged compose.yaml. Then it asks
# the app for a page. Run as root from anywhere: bash examples/node-postgres-redis/run-offline.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
[ -d node_modules ] && [ -f dist/src/cli/main.js ] || npm ci
bash test/support/test-images/prereqs.sh
port="${MIRROR_PORT:-5055}"
log="$(mktemp)"
node dist/test/support/test-images/cli.js serve --port "$port" postgres redis node >"$log" 2>&1 &
registry=$!
trap 'kill "$registry" 2>/dev/null || true; wait "$registry" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 1800); do
  grep -q 'serving until' "$log" && break
  kill -0 "$registry" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
grep -q 'serving until' "$log" || { echo 'the local registry did not come up' >&2; cat "$log" >&2; exit 1; }
export TSC_COMPOSE_REGISTRY_MIRRORS="http://127.0.0.1:$port"
bin/tsc-compose -f "$here/compose.yaml" up -d --wait
echo
echo "GET http://127.0.0.1:8080/ ->"
node -e "fetch('http://127.0.0.1:8080/').then(r => r.text()).then(t => { process.stdout.write(t); })"
echo
echo "The stack keeps running. Try: bin/tsc-compose -f $here/compose.yaml ps | logs | exec app sh | down -v"
