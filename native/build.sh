#!/usr/bin/env bash
# Builds the container shim from source with the system C compiler (run by `npm ci` through `prepare`).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p build
cc="${CC:-cc}"
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "tsc-compose: no C compiler ($cc) found; containers cannot start until one is installed (apt-get install gcc)" >&2
  exit 0
fi
"$cc" -O2 -Wall -Wextra -Werror -std=gnu11 -o build/tsc-compose-shim.tmp tsc-compose-shim.c
mv build/tsc-compose-shim.tmp build/tsc-compose-shim
