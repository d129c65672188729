#!/usr/bin/env bash
# Builds the container shim from source with the system C compiler (run by `npm ci` through `prepare`).
# Static when the C library allows it: no dynamic loader on every container start, and a monitor
# that maps nothing but itself. Falls back to a dynamic build where no static libc is installed.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p build
cc="${CC:-cc}"
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "tsc-compose: no C compiler ($cc) found; containers cannot start until one is installed (apt-get install gcc)" >&2
  exit 0
fi
flags=(-O2 -Wall -Wextra -Werror -std=gnu11)
if ! "$cc" "${flags[@]}" -static -s -o build/tsc-compose-shim.tmp tsc-compose-shim.c 2>/dev/null; then
  "$cc" "${flags[@]}" -o build/tsc-compose-shim.tmp tsc-compose-shim.c
fi
mv build/tsc-compose-shim.tmp build/tsc-compose-shim
