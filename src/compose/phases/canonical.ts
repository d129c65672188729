/**
 * Phase 8: short syntax to long syntax and typed values, the shape
 * `docker compose config` prints. As in compose-go's transform/canonical.go a
 * table keyed by path pattern (`services.*.ports`) says how each value is
 * rewritten; `*` matches any one key or list index. Values without an entry
 * are copied as they are, so keys this phase does not know pass through.
 *
 * This module is the walker and the table; what each family of keys becomes
 * lives in canonical/ (one module per family). The input was validated by the
 * file schema but may still hold strings where numbers or booleans belong
 * (interpolation yields strings), so scalars are cast there, with compose-go's
 * rules. The phase reads no files: env_file and label_file are read by the
 * next phase (env-files.ts).
 *
 * The input tree is not modified: every container is rebuilt and keeps the
 * source positions of the keys it carries over.
 */
import type { ErrorCode } from '../../errors/index.js';
import type { ComposeTree, LoadContext, VariableLookup } from '../context.js';
import type { KeyPath, PathSegment, PositionTable } from '../positions.js';
import { formatKeyPath } from '../positions.js';
import { errorAtPath } from '../located-error.js';
import { isObj } from '../canonical/transformer.js';
import type { CanonicalRun, Obj, Transformer } from '../canonical/transformer.js';
import { toBool, toBytes, toDuration, toFlag, toFloat, toInt, toText } from '../canonical/scalars.js';
import { toDnsList, toStringList } from '../canonical/lists.js';
import { toEnvironment, toKeyValueStrict, toMultiOptions, toResolvedEnvironment, toStringMap } from '../canonical/key-values.js';
import { toHostsList } from '../canonical/hosts.js';
import { toCommand } from '../canonical/command.js';
import { toPorts } from '../canonical/ports.js';
import { toVolumeBind, toVolumeMount, toVolumes } from '../canonical/volumes.js';
import { toDependsOn } from '../canonical/depends-on.js';
import { toEnvFiles } from '../canonical/env-file.js';
import { toHealthcheck } from '../canonical/healthcheck.js';
import { toBuild, toSsh } from '../canonical/build.js';
import { fileReferences, toFileReference } from '../canonical/file-references.js';
import { toDeviceMapping, toDeviceMappings, toDeviceRequest, toGpus } from '../canonical/devices.js';
import { toUlimit } from '../canonical/ulimits.js';
import { toNameMap, toServiceNetwork } from '../canonical/networks.js';
import { toExtends, toLogging, toService } from '../canonical/service.js';
import { toIncludeEntry, toResource } from '../canonical/top-level.js';

export interface CanonicalOptions {
  /** Shell + .env variables: pass-through `build.args` and hook `environment` entries. */
  lookup: VariableLookup;
}

export function toCanonical(tree: ComposeTree, ctx: LoadContext, opts: CanonicalOptions): ComposeTree {
  const run = new Run(ctx, opts.lookup, tree);
  return run.transform(tree, []) as ComposeTree;
}

/** State of one canonicalisation: where errors point, how variables resolve. */
class Run implements CanonicalRun {
  readonly positions: PositionTable;

  constructor(
    readonly ctx: LoadContext,
    readonly lookup: VariableLookup,
    /** The input tree: error positions are looked up along input paths. */
    readonly root: ComposeTree,
  ) {
    this.positions = ctx.positions;
  }

  fail(path: KeyPath, message: string, code: ErrorCode = 'TSC_SPEC_INVALID'): never {
    throw errorAtPath(this.positions, this.root, path, message, code);
  }

  warn(path: KeyPath, message: string): void {
    this.ctx.warnings.push({ message: `${formatKeyPath(path)}: ${message}`, location: this.positions.locate(this.root, path) });
  }

  /** The canonical form of `value` found at `path`: its table entry, or its children's. */
  transform(value: unknown, path: KeyPath): unknown {
    const transformer = findTransformer(path);
    return transformer ? transformer(value, path, this) : this.descend(value, path);
  }

  descend(value: unknown, path: KeyPath): unknown {
    if (Array.isArray(value)) {
      const out = value.map((item, i) => this.transform(item, [...path, i]));
      this.positions.copyAll(value, out);
      return out;
    }
    if (isObj(value)) {
      const out: Obj = {};
      this.positions.copyAll(value, out);
      for (const [key, child] of Object.entries(value)) {
        // Earlier phases may leave a key holding undefined: it is absent.
        if (child === undefined) continue;
        const canonical = this.transform(child, [...path, key]);
        // A transformer answers undefined for a value compose-go omits (a false flag).
        if (canonical !== undefined) out[key] = canonical;
      }
      return out;
    }
    return value;
  }

  mapping(value: unknown, path: KeyPath): Obj {
    if (value === null || value === undefined) return {};
    if (!isObj(value)) return this.fail(path, 'must be a mapping');
    return this.descend(value, path) as Obj;
  }

  carry(from: object, fromKey: PathSegment, to: object, toKey: PathSegment = fromKey): void {
    this.positions.copyKey(from, fromKey, to, toKey);
  }
}


// ---- the table --------------------------------------------------------------

/** One row of the table: a dotted path pattern and what rewrites the value there. */
interface Rule {
  pattern: string;
  segments: readonly string[];
  transformer: Transformer;
}

function findTransformer(path: KeyPath): Transformer | undefined {
  for (const rule of RULES) {
    const { segments } = rule;
    if (segments.length !== path.length) continue;
    let matches = true;
    for (let i = 0; i < segments.length; i++) {
      if (segments[i] !== '*' && segments[i] !== String(path[i])) {
        matches = false;
        break;
      }
    }
    if (matches) return rule.transformer;
  }
  return undefined;
}

/** The path patterns this phase rewrites (for documentation and tests). */
export function canonicalPatterns(): string[] {
  return RULES.map((rule) => rule.pattern);
}

// ---- the rules (compose-go's transformers map, plus the type casts) -----------

const S = 'services.*';

function buildRules(): Rule[] {
  const rules: Rule[] = [];
  const rule = (patterns: string | string[], transformer: Transformer): void => {
    for (const pattern of Array.isArray(patterns) ? patterns : [patterns]) rules.push({ pattern, segments: pattern.split('.'), transformer });
  };

  rule(S, toService);

  // Types compose-go casts after interpolation (loader/interpolate.go) and decodes (types/).
  rule(
    [
      'cpu_count',
      'cpu_period',
      'cpu_quota',
      'cpu_rt_period',
      'cpu_rt_runtime',
      'cpu_shares',
      'oom_score_adj',
      'pids_limit',
      'scale',
      'mem_swappiness',
      'blkio_config.weight',
      'blkio_config.weight_device.*.weight',
      'healthcheck.retries',
      'deploy.replicas',
      'deploy.update_config.parallelism',
      'deploy.rollback_config.parallelism',
      'deploy.restart_policy.max_attempts',
      'deploy.placement.max_replicas_per_node',
      'deploy.resources.limits.pids',
      'deploy.resources.reservations.pids',
      'deploy.resources.limits.generic_resources.*.discrete_resource_spec.value',
      'deploy.resources.reservations.generic_resources.*.discrete_resource_spec.value',
      'networks.*.priority',
      'networks.*.gw_priority',
      'volumes.*.tmpfs.mode',
    ].map((p) => `${S}.${p}`),
    toInt,
  );
  rule(
    [
      'cpus',
      'cpu_percent',
      'deploy.resources.limits.cpus',
      'deploy.resources.reservations.cpus',
      'deploy.update_config.max_failure_ratio',
      'deploy.rollback_config.max_failure_ratio',
    ].map((p) => `${S}.${p}`),
    toFloat,
  );
  // Pointer booleans in compose-go: false is kept.
  rule(['init', 'attach'].map((p) => `${S}.${p}`), toBool);
  // Plain booleans in compose-go: false is dropped, as docker compose config prints them.
  rule(
    [
      'privileged',
      'read_only',
      'stdin_open',
      'tty',
      'oom_kill_disable',
      'use_api_socket',
      'volumes.*.read_only',
      'volumes.*.volume.nocopy',
      'healthcheck.disable',
      'build.no_cache',
      'build.pull',
      'build.privileged',
      'develop.watch.*.initial_sync',
      'develop.watch.*.exec.privileged',
      'post_start.*.privileged',
      'pre_stop.*.privileged',
      'pre_start.*.privileged',
      'post_start.*.per_replica',
      'pre_stop.*.per_replica',
      'pre_start.*.per_replica',
    ].map((p) => `${S}.${p}`),
    toFlag,
  );
  rule(`${S}.volumes.*.bind.create_host_path`, toBool);
  rule(
    [
      'mem_limit',
      'mem_reservation',
      'memswap_limit',
      'shm_size',
      'build.shm_size',
      'deploy.resources.limits.memory',
      'deploy.resources.reservations.memory',
      'volumes.*.tmpfs.size',
      'blkio_config.device_read_bps.*.rate',
      'blkio_config.device_read_iops.*.rate',
      'blkio_config.device_write_bps.*.rate',
      'blkio_config.device_write_iops.*.rate',
    ].map((p) => `${S}.${p}`),
    toBytes,
  );
  rule(
    [
      'stop_grace_period',
      'healthcheck.interval',
      'healthcheck.timeout',
      'healthcheck.start_period',
      'healthcheck.start_interval',
      'deploy.restart_policy.delay',
      'deploy.restart_policy.window',
      'deploy.update_config.delay',
      'deploy.update_config.monitor',
      'deploy.rollback_config.delay',
      'deploy.rollback_config.monitor',
    ].map((p) => `${S}.${p}`),
    toDuration,
  );

  // Short syntax → long syntax.
  rule(`${S}.ports`, toPorts);
  rule(`${S}.volumes`, toVolumes);
  rule(`${S}.volumes.*`, toVolumeMount);
  rule(`${S}.volumes.*.bind`, toVolumeBind);
  rule(`${S}.volumes.*.volume.labels`, toStringMap);
  rule(`${S}.depends_on`, toDependsOn);
  rule(`${S}.environment`, toEnvironment);
  rule(`${S}.env_file`, toEnvFiles);
  rule([`${S}.label_file`, `${S}.dns_search`, `${S}.tmpfs`, `${S}.expose`, `${S}.group_add`], toStringList);
  rule(`${S}.dns`, toDnsList);
  rule([`${S}.labels`, `${S}.annotations`, `${S}.sysctls`, `${S}.storage_opt`, `${S}.deploy.labels`, `${S}.logging.options`], toStringMap);
  rule(`${S}.networks.*.driver_opts`, toStringMap);
  rule(`${S}.logging`, toLogging);
  rule([`${S}.extra_hosts`, `${S}.build.extra_hosts`], toHostsList);
  rule([`${S}.command`, `${S}.entrypoint`], toCommand);
  rule([`${S}.post_start.*.command`, `${S}.pre_stop.*.command`, `${S}.pre_start.*.command`, `${S}.develop.watch.*.exec.command`], toCommand);
  rule(
    [`${S}.post_start.*.environment`, `${S}.pre_stop.*.environment`, `${S}.pre_start.*.environment`, `${S}.develop.watch.*.exec.environment`],
    toResolvedEnvironment,
  );
  rule([`${S}.develop.watch.*.ignore`, `${S}.develop.watch.*.include`], toStringList);
  rule(`${S}.healthcheck`, toHealthcheck);
  rule(`${S}.build`, toBuild);
  rule(`${S}.build.args`, toResolvedEnvironment);
  rule(`${S}.build.labels`, toStringMap);
  rule(`${S}.build.additional_contexts`, toKeyValueStrict);
  rule(`${S}.build.ssh`, toSsh);
  rule([`${S}.build.provenance`, `${S}.build.sbom`], toText);
  rule([`${S}.build.cache_from`, `${S}.build.cache_to`, `${S}.build.tags`, `${S}.build.platforms`, `${S}.build.entitlements`], toStringList);
  rule(`${S}.secrets`, fileReferences('/run/secrets'));
  rule(`${S}.configs`, fileReferences(''));
  rule(`${S}.build.secrets`, fileReferences(undefined));
  rule(`${S}.devices`, toDeviceMappings);
  rule([`${S}.secrets.*`, `${S}.configs.*`, `${S}.build.secrets.*`], toFileReference);
  rule([`${S}.ulimits.*`, `${S}.build.ulimits.*`], toUlimit);
  rule(`${S}.devices.*`, toDeviceMapping);
  rule([`${S}.deploy.resources.limits.devices.*`, `${S}.deploy.resources.reservations.devices.*`, `${S}.gpus.*`], toDeviceRequest);
  rule(`${S}.gpus`, toGpus);
  rule([`${S}.networks`, `${S}.models`], toNameMap);
  rule(`${S}.networks.*`, toServiceNetwork);
  rule(`${S}.extends`, toExtends);
  rule(`${S}.provider.options`, toMultiOptions);

  // Top-level resources.
  rule(['networks.*', 'volumes.*', 'secrets.*', 'configs.*'], toResource);
  rule(
    ['networks.*.labels', 'volumes.*.labels', 'secrets.*.labels', 'configs.*.labels', 'networks.*.driver_opts', 'volumes.*.driver_opts'],
    toStringMap,
  );
  rule(['secrets.*.driver_opts', 'configs.*.driver_opts', 'networks.*.ipam.options', 'networks.*.ipam.config.*.aux_addresses'], toStringMap);
  rule(['networks.*.internal', 'networks.*.attachable'], toFlag);
  rule(['networks.*.enable_ipv4', 'networks.*.enable_ipv6'], toBool);
  rule('models.*.context_size', toInt);
  rule('models.*.runtime_flags', toStringList);
  rule('include.*', toIncludeEntry);

  return rules;
}

const RULES: readonly Rule[] = Object.freeze(buildRules());
