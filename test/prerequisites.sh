#!/usr/bin/env bash
# Debian packages the real-kernel suites need; quick when they are already there.
set -euo pipefail
# docker.io: one test runs the engine beside a dockerd it starts (and skips when a Docker daemon already runs).
needed=(zstd docker.io)
missing=()
for p in "${needed[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing test prerequisites: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
