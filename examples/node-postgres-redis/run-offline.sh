#!/usr/bin/env bash
# Runs this example on a machine that cannot reach Docker Hub (like the one
# tsc-compose is developed on): builds look-alike postgres, redis and node
# images from Debian packages (cached under /var/cache/tsc-compose-test-images),
# serves them from a local registry on 127.0.0.1, adds that registry to the
# engine's registry-mirrors (engine.json) and reloads the engine (starting it
# when none runs), runs `tsc-compose up -d --wait` on the unchanged
# compose.yaml and asks the app for a page. On exit, also on failure or
# Ctrl-C, engine.json is put back as it was (or removed, if there was none)
# and the engine reloaded. Run as root from anywhere:
#   bash examples/node-postgres-redis/run-offline.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
[ -d node_modules ] && [ -f dist/src/cli/main.js ] || npm ci
bash test/support/test-images/prereqs.sh
port="${MIRROR_PORT:-5055}"
mirror="http://127.0.0.1:$port"
# The file the engine reads, by the engine's own rule (TSC_COMPOSE_ENGINE_CONFIG, TSC_COMPOSE_ROOT).
config="$(node --input-type=module -e "import { engineConfigPath } from '$repo/dist/src/engine/config/environment.js'; process.stdout.write(engineConfigPath(process.env));")"

work="$(mktemp -d)"
registry=""
# What was there before we wrote engine.json: "file" (a copy is in $work), "none", or "" while untouched.
found=""
made_dir=""
restore() {
  local status=$?
  if [ -n "$found" ]; then
    if [ "$found" = file ]; then cp -p "$work/engine.json" "$config"; else rm -f "$config"; fi
    if [ -n "$made_dir" ]; then rmdir "$made_dir" 2>/dev/null || true; fi
    bin/tsc-compose engine reload >/dev/null || echo "warning: could not reload the engine after restoring $config" >&2
  fi
  if [ -n "$registry" ]; then
    kill "$registry" 2>/dev/null || true
    wait "$registry" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap restore EXIT
# Without these a signal would end the script without running the EXIT trap.
trap 'exit 130' INT
trap 'exit 143' TERM

node dist/test/support/test-images/cli.js serve --port "$port" postgres redis node >"$work/registry.log" 2>&1 &
registry=$!
for _ in $(seq 1 1800); do
  grep -q 'serving until' "$work/registry.log" && break
  kill -0 "$registry" 2>/dev/null || { cat "$work/registry.log" >&2; exit 1; }
  sleep 0.1
done
grep -q 'serving until' "$work/registry.log" || { echo 'the local registry did not come up' >&2; cat "$work/registry.log" >&2; exit 1; }

if [ -e "$config" ]; then
  cp -p "$config" "$work/engine.json"
  found=file
else
  found=none
  if [ ! -d "$(dirname "$config")" ]; then
    made_dir="$(dirname "$config")"
    mkdir -p "$made_dir"
  fi
fi
# The user's settings stay; the local registry goes first in registry-mirrors.
MIRROR="$mirror" CONFIG="$config" node --input-type=module -e "
import * as fs from 'node:fs';
const { MIRROR: mirror, CONFIG: file } = process.env;
let settings = {};
if (fs.existsSync(file)) {
  try {
    settings = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(file + ' is not valid JSON (' + err.message + '): fix it, then run this again');
    process.exit(1);
  }
}
settings['registry-mirrors'] = [mirror, ...(settings['registry-mirrors'] ?? []).filter((m) => m !== mirror)];
const tmp = file + '.run-offline.tmp';
fs.writeFileSync(tmp, JSON.stringify(settings, null, 2) + '\n', { mode: 0o644 });
fs.renameSync(tmp, file);
"
echo "registry-mirrors in $config: $mirror (until this script ends)"
bin/tsc-compose engine reload
# A variable in the engine's own environment wins over the file; such an engine would not use the mirror.
engine_status="$(bin/tsc-compose engine status)"
if grep -q '^  registry-mirrors .* environment (' <<<"$engine_status"; then
  echo "the running engine takes registry-mirrors from its environment (TSC_COMPOSE_REGISTRY_MIRRORS), not from $config: stop it (bin/tsc-compose engine stop) and run this again" >&2
  exit 1
fi

bin/tsc-compose -f "$here/compose.yaml" up -d --wait
echo
echo "GET http://127.0.0.1:8080/ ->"
node -e "fetch('http://127.0.0.1:8080/').then(r => r.text()).then(t => { process.stdout.write(t); })"
echo
echo "The stack keeps running (its images are in the local store). Try: bin/tsc-compose -f $here/compose.yaml ps | logs | exec app sh | down -v"
