#!/usr/bin/env bash
# Debian packages the test-image harness needs (image builds, local registry,
# pushes). Idempotent and quick when everything is installed: dpkg-query
# first, apt-get update only when something is missing. Runs without stdin.
set -euo pipefail
needed=(busybox-static debootstrap docker-registry skopeo apache2-utils ca-certificates openssl iproute2 tar)
# One dpkg-query for all (it fails when some are unknown: that is an answer too).
installed=" $({ dpkg-query -W -f='${Package}:${db:Status-Abbrev}\n' "${needed[@]}" 2>/dev/null || true; } | sed -n 's/^\([^:]*\):ii *$/\1/p' | tr '\n' ' ') "
missing=()
for p in "${needed[@]}"; do
  [[ "$installed" == *" $p "* ]] || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "test harness needs these Debian packages (run as root to install): ${missing[*]}" >&2
  exit 1
fi
echo "installing test-harness prerequisites: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Other sessions may hold the dpkg lock; wait for it rather than fail.
apt_opts=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
apt-get "${apt_opts[@]}" update -qq >&2
apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" </dev/null >&2
