/**
 * What goes into each test image: the install script run in a chroot of the
 * Debian base, files added afterwards, and the image config. Everything here
 * is part of the images' cache keys.
 */
import type { ImageConfigSection } from './oci-layout.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Build-time date for the entries of synthetic layers, so their digests do not change between builds. */
export const SYNTHETIC_MTIME = new Date('2024-01-01T00:00:00Z');

export const LABEL_PREFIX = 'org.tsc-compose.test-image';

export interface BusyboxRecipe {
  passwd: string;
  group: string;
  config: ImageConfigSection;
}

export const BUSYBOX: BusyboxRecipe = {
  passwd: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n',
  group: 'root:x:0:\nnobody:x:65534:\n',
  config: {
    Env: [`PATH=${DEFAULT_PATH}`],
    Cmd: ['sh'],
  },
};

export const DEBIAN_SUITE = 'bookworm';

/**
 * Packages whose versions (as the host's apt reports them) go into the base
 * image's cache key: a security update to any of them means a new base.
 */
export const DEBIAN_KEY_PACKAGES = [
  'base-files', 'libc6', 'dpkg', 'apt', 'bash', 'coreutils', 'util-linux', 'perl-base', 'libsystemd0',
  'libssl3', 'zlib1g', 'libzstd1', 'gpgv', 'debian-archive-keyring', 'tar', 'gzip', 'sed', 'tzdata', 'ncurses-base',
];

/** Files the Debian base gets after debootstrap (paths relative to the root). */
export const DEBIAN_FILES: Record<string, string> = {
  // As Docker's Debian images do: no package caches or translations kept after apt runs.
  'etc/apt/apt.conf.d/docker-clean': [
    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
    'Dir::Cache::pkgcache "";',
    'Dir::Cache::srcpkgcache "";',
    '',
  ].join('\n'),
  'etc/apt/apt.conf.d/docker-no-languages': 'Acquire::Languages "none";\n',
  // Later layers leave out documentation, keeping the test images small.
  'etc/dpkg/dpkg.cfg.d/docker-excludes': [
    'path-exclude /usr/share/doc/*',
    'path-include /usr/share/doc/*/copyright',
    'path-exclude /usr/share/man/*',
    'path-exclude /usr/share/info/*',
    'path-exclude /usr/share/locale/*',
    'path-include /usr/share/locale/locale.alias',
    '',
  ].join('\n'),
};

/** Run in the fresh debootstrap tree: debootstrap takes the suite only, this adds its updates and security fixes. */
export const DEBIAN_UPGRADE_SCRIPT = [
  'apt-get update -qq',
  'apt-get upgrade -y -qq -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confold',
].join('\n');

export const DEBIAN_CONFIG: ImageConfigSection = {
  Env: [`PATH=${DEFAULT_PATH}`],
  Cmd: ['bash'],
};

export interface AppRecipe {
  name: 'postgres' | 'redis' | 'node';
  /** Debian packages the script installs; their versions go into the cache key and a label. */
  packages: string[];
  /** Bash run as root in a chroot of the base (set -euo pipefail). */
  script: string;
  /** Files added after the script, root-owned. */
  files: Record<string, { mode: number; content: string }>;
  config: ImageConfigSection;
  /** The package whose version is the image's version label. */
  versionOf: string;
}

const APT_INSTALL = 'apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0';

const POSTGRES_ENTRYPOINT = `#!/usr/bin/env bash
# Entrypoint of the tsc-compose postgres test image: what a development stack
# relies on from the official image's docker-entrypoint.sh.
set -Eeo pipefail

# "docker run postgres -c foo=bar" runs postgres with those options.
if [ "\${1:0:1}" = '-' ]; then set -- postgres "$@"; fi

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  find "$PGDATA" \\! -user postgres -exec chown postgres:postgres '{}' +
  chmod 00700 "$PGDATA"
  chown postgres:postgres /var/run/postgresql
  chmod 03775 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

if [ "$1" = postgres ]; then
  if [ -s "$PGDATA/PG_VERSION" ]; then
    echo 'PostgreSQL Database directory appears to contain a database; Skipping initialization'
  else
    : "\${POSTGRES_USER:=postgres}"
    : "\${POSTGRES_DB:=$POSTGRES_USER}"
    : "\${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
    if [ -z "\${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
      echo 'Error: Database is uninitialized and superuser password is not specified.' >&2
      echo '       Set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to allow all connections without a password.' >&2
      exit 1
    fi
    initdb_args=(--username="$POSTGRES_USER" -D "$PGDATA")
    # A file rather than <(...): that would need /dev/fd in the container.
    pwfile=
    if [ -n "\${POSTGRES_PASSWORD:-}" ]; then
      pwfile=$(umask 077 && mktemp)
      printf '%s\\n' "$POSTGRES_PASSWORD" >"$pwfile"
      initdb_args+=(--pwfile="$pwfile")
    fi
    # shellcheck disable=SC2086 # the official image splits POSTGRES_INITDB_ARGS too
    initdb "\${initdb_args[@]}" \${POSTGRES_INITDB_ARGS:-}
    [ -z "$pwfile" ] || rm -f "$pwfile"
    printf '\\nhost all all all %s\\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
    psql_cmd=(psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER")
    if [ "$POSTGRES_DB" != postgres ]; then
      "\${psql_cmd[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
    fi
    for f in /docker-entrypoint-initdb.d/*; do
      case "$f" in
        *.sh) echo "running $f"; . "$f" ;;
        *.sql) echo "running $f"; "\${psql_cmd[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
        *.sql.gz) echo "running $f"; gunzip -c "$f" | "\${psql_cmd[@]}" --dbname "$POSTGRES_DB" ;;
        *) [ -e "$f" ] && echo "ignoring $f" ;;
      esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop
    echo 'PostgreSQL init process complete; ready for start up.'
  fi
fi

exec "$@"
`;

const REDIS_ENTRYPOINT = `#!/bin/sh
# Entrypoint of the tsc-compose redis test image, as the official image's:
# options alone run redis-server; as root, /data is handed to redis first.
set -e
if [ "\${1#-}" != "$1" ] || [ "\${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \\! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
umask 0077
exec "$@"
`;

export const APP_RECIPES: Record<AppRecipe['name'], AppRecipe> = {
  postgres: {
    name: 'postgres',
    packages: ['postgresql-15', 'postgresql-common', 'postgresql-client-15', 'libpq5'],
    versionOf: 'postgresql-15',
    script: [
      'apt-get update -qq',
      // No "main" cluster: the entrypoint runs initdb into the data volume.
      `${APT_INSTALL} postgresql-common`,
      "sed -ri 's/#(create_main_cluster) .*$/\\1 = false/' /etc/postgresql-common/createcluster.conf",
      `${APT_INSTALL} postgresql-15`,
      "sed -ri \"s!^#?(listen_addresses)\\s*=\\s*\\S+.*!\\1 = '*'!\" /usr/share/postgresql/15/postgresql.conf.sample",
      "grep -q \"^listen_addresses = '\\*'\" /usr/share/postgresql/15/postgresql.conf.sample",
      'install -d -o postgres -g postgres -m 03775 /var/run/postgresql',
      'install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data',
      'mkdir -p /docker-entrypoint-initdb.d',
    ].join('\n'),
    files: { 'usr/local/bin/docker-entrypoint.sh': { mode: 0o755, content: POSTGRES_ENTRYPOINT } },
    config: {
      Env: [
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/lib/postgresql/15/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'LANG=C.UTF-8',
        'PG_MAJOR=15',
        'PGDATA=/var/lib/postgresql/data',
      ],
      Entrypoint: ['docker-entrypoint.sh'],
      Cmd: ['postgres'],
      ExposedPorts: { '5432/tcp': {} },
      Volumes: { '/var/lib/postgresql/data': {} },
      StopSignal: 'SIGINT',
    },
  },
  redis: {
    name: 'redis',
    packages: ['redis-server', 'redis-tools', 'libjemalloc2'],
    versionOf: 'redis-server',
    script: [
      'apt-get update -qq',
      `${APT_INSTALL} redis-server`,
      'install -d -o redis -g redis -m 0755 /data',
    ].join('\n'),
    files: { 'usr/local/bin/docker-entrypoint.sh': { mode: 0o755, content: REDIS_ENTRYPOINT } },
    config: {
      Env: [`PATH=${DEFAULT_PATH}`],
      Entrypoint: ['docker-entrypoint.sh'],
      Cmd: ['redis-server', '--protected-mode', 'no'],
      WorkingDir: '/data',
      ExposedPorts: { '6379/tcp': {} },
      Volumes: { '/data': {} },
    },
  },
  node: {
    name: 'node',
    packages: ['nodejs', 'libnode108'],
    versionOf: 'nodejs',
    script: [
      'apt-get update -qq',
      `${APT_INSTALL} nodejs`,
      // The official image's unprivileged user.
      'groupadd --gid 1000 node',
      'useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
    ].join('\n'),
    files: {},
    config: {
      Env: [`PATH=${DEFAULT_PATH}`],
      Cmd: ['node'],
    },
  },
};
