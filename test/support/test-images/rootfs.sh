#!/usr/bin/env bash
# Root filesystem steps of the test-image builds. images.ts runs every
# subcommand inside `unshare --mount --pid --fork --kill-child`, so each mount
# made here and each process started here (debootstrap's, a postinst's) is gone
# when the subcommand ends, also when it fails or is killed.
#
#   rootfs.sh debootstrap TARGET SUITE MIRROR ARCH   minbase Debian into TARGET
#   rootfs.sh run TARGET SCRIPT [APTCONF]            bash SCRIPT (a host file) inside chroot TARGET,
#                                                    apt reading APTCONF (the build host's transport settings) too
#   rootfs.sh clean TARGET base|layer                drop caches, logs and temporary files
set -euo pipefail

die() { echo "rootfs.sh: $*" >&2; exit 2; }

# The chroot gets its own /proc (of the new PID namespace), a tmpfs /dev with
# the few host devices package scripts use, and the host's resolver. All of it
# is mounted over the tree, never written into it, so the layer diff stays clean.
enter_chroot() {
  local target=$1
  mount -t proc -o nosuid,nodev,noexec proc "$target/proc"
  mount -t tmpfs -o mode=0755,nosuid tmpfs "$target/dev"
  local d
  for d in null zero full random urandom tty; do
    : >"$target/dev/$d"
    mount --bind "/dev/$d" "$target/dev/$d"
  done
  mkdir -p "$target/dev/pts" "$target/dev/shm"
  ln -s /proc/self/fd "$target/dev/fd"
  ln -s /proc/self/fd/0 "$target/dev/stdin"
  ln -s /proc/self/fd/1 "$target/dev/stdout"
  ln -s /proc/self/fd/2 "$target/dev/stderr"
  [ -f "$target/etc/resolv.conf" ] && [ ! -L "$target/etc/resolv.conf" ] || die "$target/etc/resolv.conf must be a regular file"
  mount --bind /etc/resolv.conf "$target/etc/resolv.conf"
}

cmd_debootstrap() {
  local target=$1 suite=$2 mirror=$3 arch=$4
  [ -d "$target" ] || die "no directory $target"
  debootstrap --variant=minbase --arch="$arch" "$suite" "$target" "$mirror" >"$target.debootstrap.log" 2>&1 || {
    tail -n 40 "$target.debootstrap.log" >&2
    [ -f "$target/debootstrap/debootstrap.log" ] && tail -n 40 "$target/debootstrap/debootstrap.log" >&2
    exit 1
  }
  rm -f "$target.debootstrap.log"
}

cmd_run() {
  local target=$1 script=$2 aptconf=${3:-}
  [ -f "$script" ] || die "no script $script"
  enter_chroot "$target"
  # Keep package scripts from starting services during the build.
  printf '#!/bin/sh\nexit 101\n' >"$target/usr/sbin/policy-rc.d"
  chmod 0755 "$target/usr/sbin/policy-rc.d"
  local env=(
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive
  )
  if [ -n "$aptconf" ]; then
    # In /tmp, which the clean step empties: not part of the image.
    cp "$aptconf" "$target/tmp/.build-host-apt.conf"
    env+=(APT_CONFIG=/tmp/.build-host-apt.conf)
  fi
  local v
  for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
    [ -z "${!v:-}" ] || env+=("$v=${!v}")
  done
  local rc=0
  chroot "$target" /usr/bin/env -i "${env[@]}" /bin/bash -euo pipefail -s <"$script" || rc=$?
  rm -f "$target/usr/sbin/policy-rc.d" "$target/tmp/.build-host-apt.conf"
  return "$rc"
}

cmd_clean() {
  local target=$1 kind=$2
  rm -rf "$target"/var/lib/apt/lists/* \
    "$target"/var/cache/apt/*.bin \
    "$target"/var/cache/apt/archives/*.deb \
    "$target"/var/cache/apt/archives/partial/* \
    "$target"/var/cache/debconf/*-old \
    "$target"/var/lib/dpkg/*-old \
    "$target"/var/log/apt/* \
    "$target"/tmp/* "$target"/tmp/.[!.]* \
    "$target"/var/tmp/* \
    "$target"/root/.cache \
    "$target"/run/adduser
  find "$target/var/log" -maxdepth 1 -type f -delete
  if [ "$kind" = base ]; then
    # An image's /dev is provided by the runtime; debootstrap's nodes do not belong in it.
    find "$target/dev" -mindepth 1 -delete
    rm -rf "$target/debootstrap"
    # Empty files the runtime bind-mounts over.
    # Files the runtime bind-mounts over; debootstrap copied the build host's.
    rm -f "$target/etc/resolv.conf" "$target/etc/hostname"
    : >"$target/etc/resolv.conf"
    echo localhost >"$target/etc/hostname"
    [ -f "$target/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$target/etc/hosts"
    chmod 0644 "$target/etc/resolv.conf" "$target/etc/hostname" "$target/etc/hosts"
  fi
}

[ "$(id -u)" = 0 ] || die "must run as root"
sub=${1:-}
shift || true
case "$sub" in
  debootstrap) [ $# = 4 ] || die "usage: debootstrap TARGET SUITE MIRROR ARCH"; cmd_debootstrap "$@" ;;
  run) [ $# = 2 ] || [ $# = 3 ] || die "usage: run TARGET SCRIPT [APTCONF]"; cmd_run "$@" ;;
  clean) [ $# = 2 ] || die "usage: clean TARGET base|layer"; cmd_clean "$@" ;;
  *) die "unknown subcommand '$sub'" ;;
esac
