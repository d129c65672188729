/**
 * The compose file as users may write it, short and long forms: the single
 * source of truth for what a compose file may say. It accepts exactly what the
 * Compose Specification's schema accepts (compose-spec/schema/compose-spec.json),
 * plus the newer keys of the copy compose-go validates with (`pre_start`,
 * `build.no_cache_filter`, `null` entries under a service's `models`).
 * schema/compose-spec.json is generated from it (`npm run schema`); a test
 * fails when the two drift, and another holds both to the official schema.
 *
 * Typed fields take strings wherever the specification does, because `${VAR}`
 * may stand in for a number or a boolean. Definitions that the specification
 * names carry the same name as `id`, so they become `$defs` entries.
 */
import { z } from 'zod';
import { closed, extensible, integer, number, oneOf, open, patternMap, strictMap, unique } from './schema-kit.js';

/** Names of services, volumes, secrets, configs, models and networks. */
const NAME = /^[a-zA-Z0-9._-]+$/u;
/** Keys of option maps (`driver_opts`, `logging.options`, ...): anything but empty. */
const ANY_KEY = /^.+$/u;
/** Keys of list_or_dict and extra_hosts mappings (unanchored in the specification). */
const SOME_KEY = /.+/u;

const str = () => z.string();
const bool = () => z.boolean();
const boolOrString = () => z.union([z.boolean(), z.string()]);
const numberOrString = () => z.union([number(), z.string()]);
const integerOrString = () => z.union([integer(), z.string()]);

// --- shared definitions -------------------------------------------------------

export const listOfStringsSchema = unique(z.array(z.string())).meta({ id: 'list_of_strings' });

export const stringOrListSchema = oneOf([z.string(), listOfStringsSchema]).meta({ id: 'string_or_list' });

export const listOrDictSchema = oneOf([
  strictMap(SOME_KEY, z.union([z.string(), number(), z.boolean(), z.null()])),
  unique(z.array(z.string())),
]).meta({ id: 'list_or_dict' });

export const extraHostsSchema = oneOf([
  strictMap(SOME_KEY, oneOf([z.string(), z.array(z.string())])),
  unique(z.array(z.string())),
]).meta({ id: 'extra_hosts' });

export const commandSchema = oneOf([z.null(), z.string(), z.array(z.string())]).meta({ id: 'command' });

export const envFileSchema = oneOf([
  z.string(),
  z.array(
    oneOf([
      z.string(),
      closed({
        path: str(),
        format: str().optional(),
        required: boolOrString().optional(),
      }),
    ]),
  ),
]).meta({ id: 'env_file' });

export const labelFileSchema = oneOf([z.string(), z.array(z.string())]).meta({ id: 'label_file' });

export const blkioLimitSchema = closed({
  path: str().optional(),
  rate: integerOrString().optional(),
}).meta({ id: 'blkio_limit' });

export const blkioWeightSchema = closed({
  path: str().optional(),
  weight: integerOrString().optional(),
}).meta({ id: 'blkio_weight' });

export const serviceConfigOrSecretSchema = z
  .array(
    oneOf([
      z.string(),
      extensible({
        source: str().optional(),
        target: str().optional(),
        uid: str().optional(),
        gid: str().optional(),
        mode: numberOrString().optional(),
      }),
    ]),
  )
  .meta({ id: 'service_config_or_secret' });

export const ulimitsSchema = patternMap(
  /^[a-z]+$/u,
  oneOf([
    integerOrString(),
    extensible({
      hard: integerOrString(),
      soft: integerOrString(),
    }),
  ]),
).meta({ id: 'ulimits' });

export const serviceHookSchema = extensible({
  command: commandSchema,
  user: str().optional(),
  privileged: boolOrString().optional(),
  working_dir: str().optional(),
  environment: listOrDictSchema.optional(),
}).meta({ id: 'service_hook' });

/** compose-go only: init containers run before the service starts. */
export const preStartHookSchema = extensible({
  command: commandSchema.optional(),
  image: str().optional(),
  user: str().optional(),
  privileged: boolOrString().optional(),
  working_dir: str().optional(),
  environment: listOrDictSchema.optional(),
  per_replica: boolOrString().optional(),
}).meta({ id: 'pre_start_hook' });

export const healthcheckSchema = extensible({
  disable: boolOrString().optional(),
  interval: str().optional(),
  retries: numberOrString().optional(),
  test: oneOf([z.string(), z.array(z.string())]).optional(),
  timeout: str().optional(),
  start_period: str().optional(),
  start_interval: str().optional(),
}).meta({ id: 'healthcheck' });

export const watchRuleSchema = extensible({
  ignore: stringOrListSchema.optional(),
  include: stringOrListSchema.optional(),
  path: str(),
  action: z.enum(['rebuild', 'sync', 'restart', 'sync+restart', 'sync+exec']),
  target: str().optional(),
  exec: serviceHookSchema.optional(),
  initial_sync: bool().optional(),
});

export const developmentSchema = extensible({
  watch: z.array(watchRuleSchema).optional(),
})
  .or(z.null())
  .meta({ id: 'development' });

export const genericResourcesSchema = z
  .array(
    extensible({
      discrete_resource_spec: extensible({
        kind: str().optional(),
        value: numberOrString().optional(),
      }).optional(),
    }),
  )
  .meta({ id: 'generic_resources' });

export const devicesSchema = z
  .array(
    extensible({
      capabilities: listOfStringsSchema,
      count: integerOrString().optional(),
      device_ids: listOfStringsSchema.optional(),
      driver: str().optional(),
      options: listOrDictSchema.optional(),
    }),
  )
  .meta({ id: 'devices' });

/**
 * `all`, or GPU requests. The specification puts `additionalProperties: false`
 * beside `items` (where it constrains nothing), so a request's keys stay open.
 */
export const gpusSchema = oneOf([
  z.enum(['all']),
  z.array(
    open({
      capabilities: listOfStringsSchema.optional(),
      count: integerOrString().optional(),
      device_ids: listOfStringsSchema.optional(),
      driver: str().optional(),
      options: listOrDictSchema.optional(),
    }),
  ),
]).meta({ id: 'gpus' });

const updateConfigShape = {
  parallelism: integerOrString().optional(),
  delay: str().optional(),
  failure_action: str().optional(),
  monitor: str().optional(),
  max_failure_ratio: numberOrString().optional(),
  order: z.enum(['start-first', 'stop-first']).optional(),
};

export const deployResourcesSchema = extensible({
  limits: extensible({
    cpus: numberOrString().optional(),
    memory: str().optional(),
    pids: integerOrString().optional(),
  }).optional(),
  reservations: extensible({
    cpus: numberOrString().optional(),
    memory: str().optional(),
    generic_resources: genericResourcesSchema.optional(),
    devices: devicesSchema.optional(),
  }).optional(),
});

export const deploymentSchema = extensible({
  mode: str().optional(),
  endpoint_mode: str().optional(),
  replicas: integerOrString().optional(),
  labels: listOrDictSchema.optional(),
  rollback_config: extensible(updateConfigShape).optional(),
  update_config: extensible(updateConfigShape).optional(),
  resources: deployResourcesSchema.optional(),
  restart_policy: extensible({
    condition: str().optional(),
    delay: str().optional(),
    max_attempts: integerOrString().optional(),
    window: str().optional(),
  }).optional(),
  placement: extensible({
    constraints: z.array(z.string()).optional(),
    preferences: z.array(extensible({ spread: str().optional() })).optional(),
    max_replicas_per_node: integerOrString().optional(),
  }).optional(),
})
  .or(z.null())
  .meta({ id: 'deployment' });

// --- service ------------------------------------------------------------------

export const buildSchema = oneOf([
  z.string(),
  extensible({
    context: str().optional(),
    dockerfile: str().optional(),
    dockerfile_inline: str().optional(),
    entitlements: z.array(z.string()).optional(),
    args: listOrDictSchema.optional(),
    ssh: listOrDictSchema.optional(),
    labels: listOrDictSchema.optional(),
    cache_from: z.array(z.string()).optional(),
    cache_to: z.array(z.string()).optional(),
    no_cache: boolOrString().optional(),
    /** compose-go only. */
    no_cache_filter: stringOrListSchema.optional(),
    additional_contexts: listOrDictSchema.optional(),
    network: str().optional(),
    provenance: z.union([z.string(), z.boolean()]).optional(),
    sbom: z.union([z.string(), z.boolean()]).optional(),
    pull: boolOrString().optional(),
    target: str().optional(),
    shm_size: integerOrString().optional(),
    extra_hosts: extraHostsSchema.optional(),
    isolation: str().optional(),
    privileged: boolOrString().optional(),
    secrets: serviceConfigOrSecretSchema.optional(),
    tags: z.array(z.string()).optional(),
    ulimits: ulimitsSchema.optional(),
    platforms: z.array(z.string()).optional(),
  }),
]);

export const dependsOnSchema = oneOf([
  listOfStringsSchema,
  strictMap(
    NAME,
    extensible({
      restart: boolOrString().optional(),
      required: bool().optional(),
      condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']),
    }),
  ),
]);

export const extendsSchema = oneOf([
  z.string(),
  closed({
    service: str(),
    file: str().optional(),
  }),
]);

export const portSchema = oneOf([
  number(),
  z.string(),
  extensible({
    name: str().optional(),
    mode: str().optional(),
    host_ip: str().optional(),
    target: integerOrString().optional(),
    published: integerOrString().optional(),
    protocol: str().optional(),
    app_protocol: str().optional(),
  }),
]);

export const serviceVolumeSchema = oneOf([
  z.string(),
  extensible({
    type: z.enum(['bind', 'volume', 'tmpfs', 'cluster', 'npipe', 'image']),
    source: str().optional(),
    target: str().optional(),
    read_only: boolOrString().optional(),
    consistency: str().optional(),
    bind: extensible({
      propagation: str().optional(),
      create_host_path: boolOrString().optional(),
      recursive: z.enum(['enabled', 'disabled', 'writable', 'readonly']).optional(),
      selinux: z.enum(['z', 'Z']).optional(),
    }).optional(),
    volume: extensible({
      labels: listOrDictSchema.optional(),
      nocopy: boolOrString().optional(),
      subpath: str().optional(),
    }).optional(),
    tmpfs: extensible({
      size: oneOf([integer({ minimum: 0 }), z.string()]).optional(),
      mode: numberOrString().optional(),
    }).optional(),
    image: extensible({
      subpath: str().optional(),
    }).optional(),
  }),
]);

export const serviceNetworksSchema = oneOf([
  listOfStringsSchema,
  strictMap(
    NAME,
    oneOf([
      extensible({
        aliases: listOfStringsSchema.optional(),
        interface_name: str().optional(),
        ipv4_address: str().optional(),
        ipv6_address: str().optional(),
        link_local_ips: listOfStringsSchema.optional(),
        mac_address: str().optional(),
        driver_opts: patternMap(ANY_KEY, z.union([z.string(), number()])).optional(),
        priority: number().optional(),
        gw_priority: number().optional(),
      }),
      z.null(),
    ]),
  ),
]);

/** A service's `models`; `null` entries are compose-go's addition. */
export const serviceModelsSchema = oneOf([
  listOfStringsSchema,
  patternMap(
    NAME,
    oneOf([
      extensible({
        endpoint_var: str().optional(),
        model_var: str().optional(),
      }),
      z.null(),
    ]),
  ),
]);

export const providerSchema = extensible({
  type: str(),
  options: patternMap(
    ANY_KEY,
    oneOf([z.union([z.string(), number(), z.boolean()]), z.array(z.union([z.string(), number(), z.boolean()]))]),
  ).optional(),
});

export const serviceSchema = extensible({
  develop: developmentSchema.optional(),
  deploy: deploymentSchema.optional(),
  annotations: listOrDictSchema.optional(),
  attach: boolOrString().optional(),
  build: buildSchema.optional(),
  blkio_config: closed({
    device_read_bps: z.array(blkioLimitSchema).optional(),
    device_read_iops: z.array(blkioLimitSchema).optional(),
    device_write_bps: z.array(blkioLimitSchema).optional(),
    device_write_iops: z.array(blkioLimitSchema).optional(),
    weight: integerOrString().optional(),
    weight_device: z.array(blkioWeightSchema).optional(),
  }).optional(),
  cap_add: unique(z.array(z.string())).optional(),
  cap_drop: unique(z.array(z.string())).optional(),
  cgroup: z.enum(['host', 'private']).optional(),
  cgroup_parent: str().optional(),
  command: commandSchema.optional(),
  configs: serviceConfigOrSecretSchema.optional(),
  container_name: z.string().regex(/[a-zA-Z0-9][a-zA-Z0-9_.-]+/u).optional(),
  cpu_count: oneOf([z.string(), integer({ minimum: 0 })]).optional(),
  cpu_percent: oneOf([z.string(), integer({ minimum: 0, maximum: 100 })]).optional(),
  cpu_shares: numberOrString().optional(),
  cpu_quota: numberOrString().optional(),
  cpu_period: numberOrString().optional(),
  cpu_rt_period: numberOrString().optional(),
  cpu_rt_runtime: numberOrString().optional(),
  cpus: numberOrString().optional(),
  cpuset: str().optional(),
  credential_spec: extensible({
    config: str().optional(),
    file: str().optional(),
    registry: str().optional(),
  }).optional(),
  depends_on: dependsOnSchema.optional(),
  device_cgroup_rules: listOfStringsSchema.optional(),
  devices: z
    .array(
      oneOf([
        z.string(),
        extensible({
          source: str(),
          target: str().optional(),
          permissions: str().optional(),
        }),
      ]),
    )
    .optional(),
  dns: stringOrListSchema.optional(),
  dns_opt: unique(z.array(z.string())).optional(),
  dns_search: stringOrListSchema.optional(),
  domainname: str().optional(),
  entrypoint: commandSchema.optional(),
  env_file: envFileSchema.optional(),
  label_file: labelFileSchema.optional(),
  environment: listOrDictSchema.optional(),
  expose: unique(z.array(z.union([z.string(), number()]))).optional(),
  extends: extendsSchema.optional(),
  provider: providerSchema.optional(),
  external_links: unique(z.array(z.string())).optional(),
  extra_hosts: extraHostsSchema.optional(),
  gpus: gpusSchema.optional(),
  group_add: unique(z.array(z.union([z.string(), number()]))).optional(),
  healthcheck: healthcheckSchema.optional(),
  hostname: str().optional(),
  image: str().optional(),
  init: boolOrString().optional(),
  ipc: str().optional(),
  isolation: str().optional(),
  labels: listOrDictSchema.optional(),
  links: unique(z.array(z.string())).optional(),
  logging: extensible({
    driver: str().optional(),
    options: patternMap(ANY_KEY, z.union([z.string(), number(), z.null()])).optional(),
  }).optional(),
  mac_address: str().optional(),
  mem_limit: numberOrString().optional(),
  mem_reservation: integerOrString().optional(),
  mem_swappiness: integerOrString().optional(),
  memswap_limit: numberOrString().optional(),
  network_mode: str().optional(),
  models: serviceModelsSchema.optional(),
  networks: serviceNetworksSchema.optional(),
  oom_kill_disable: boolOrString().optional(),
  oom_score_adj: oneOf([z.string(), integer({ minimum: -1000, maximum: 1000 })]).optional(),
  pid: z.union([z.string(), z.null()]).optional(),
  pids_limit: numberOrString().optional(),
  platform: str().optional(),
  ports: unique(z.array(portSchema)).optional(),
  /** compose-go only. */
  pre_start: z.array(preStartHookSchema).optional(),
  post_start: z.array(serviceHookSchema).optional(),
  pre_stop: z.array(serviceHookSchema).optional(),
  privileged: boolOrString().optional(),
  profiles: listOfStringsSchema.optional(),
  pull_policy: z
    .string()
    .regex(/always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+/u)
    .optional(),
  pull_refresh_after: str().optional(),
  read_only: boolOrString().optional(),
  restart: str().optional(),
  runtime: str().optional(),
  scale: integerOrString().optional(),
  security_opt: unique(z.array(z.string())).optional(),
  shm_size: numberOrString().optional(),
  secrets: serviceConfigOrSecretSchema.optional(),
  sysctls: listOrDictSchema.optional(),
  stdin_open: boolOrString().optional(),
  stop_grace_period: str().optional(),
  stop_signal: str().optional(),
  storage_opt: open({}).optional(),
  tmpfs: stringOrListSchema.optional(),
  tty: boolOrString().optional(),
  ulimits: ulimitsSchema.optional(),
  use_api_socket: bool().optional(),
  user: str().optional(),
  uts: str().optional(),
  userns_mode: str().optional(),
  volumes: unique(z.array(serviceVolumeSchema)).optional(),
  volumes_from: unique(z.array(z.string())).optional(),
  working_dir: str().optional(),
}).meta({ id: 'service' });

// --- top-level resources ----------------------------------------------------

/** `external:` of networks and volumes: a flag, or the deprecated `{name}` form (closed). */
const closedExternal = () =>
  z.union([z.boolean(), z.string(), extensible({ name: str().optional().meta({ deprecated: true }) })]);

/** `external:` of secrets and configs, whose object form the specification leaves open. */
const openExternal = () => z.union([z.boolean(), z.string(), open({ name: str().optional() })]);

const driverOpts = () => patternMap(ANY_KEY, z.union([z.string(), number()]));

export const includeSchema = oneOf([
  z.string(),
  closed({
    path: stringOrListSchema.optional(),
    env_file: stringOrListSchema.optional(),
    project_directory: str().optional(),
  }),
]).meta({ id: 'include' });

export const networkSchema = extensible({
  name: str().optional(),
  driver: str().optional(),
  driver_opts: driverOpts().optional(),
  ipam: extensible({
    driver: str().optional(),
    config: z
      .array(
        extensible({
          subnet: str().optional(),
          ip_range: str().optional(),
          gateway: str().optional(),
          aux_addresses: strictMap(ANY_KEY, z.string()).optional(),
        }),
      )
      .optional(),
    options: strictMap(ANY_KEY, z.string()).optional(),
  }).optional(),
  external: closedExternal().optional(),
  internal: boolOrString().optional(),
  enable_ipv4: boolOrString().optional(),
  enable_ipv6: boolOrString().optional(),
  attachable: boolOrString().optional(),
  labels: listOrDictSchema.optional(),
})
  .or(z.null())
  .meta({ id: 'network' });

export const volumeSchema = extensible({
  name: str().optional(),
  driver: str().optional(),
  driver_opts: driverOpts().optional(),
  external: closedExternal().optional(),
  labels: listOrDictSchema.optional(),
})
  .or(z.null())
  .meta({ id: 'volume' });

export const secretSchema = extensible({
  name: str().optional(),
  environment: str().optional(),
  file: str().optional(),
  external: openExternal().optional(),
  labels: listOrDictSchema.optional(),
  driver: str().optional(),
  driver_opts: driverOpts().optional(),
  template_driver: str().optional(),
}).meta({ id: 'secret' });

export const configSchema = extensible({
  name: str().optional(),
  content: str().optional(),
  environment: str().optional(),
  file: str().optional(),
  external: openExternal().optional(),
  labels: listOrDictSchema.optional(),
  template_driver: str().optional(),
}).meta({ id: 'config' });

export const modelSchema = extensible({
  name: str().optional(),
  model: str(),
  context_size: integer().optional(),
  runtime_flags: z.array(z.string()).optional(),
}).meta({ id: 'model' });

// --- the file -------------------------------------------------------------------

export const ComposeFileSchema = extensible({
  version: str().optional().meta({ deprecated: true }),
  name: str().optional(),
  include: z.array(includeSchema).optional(),
  services: strictMap(NAME, serviceSchema).optional(),
  models: patternMap(NAME, modelSchema).optional(),
  networks: patternMap(NAME, networkSchema).optional(),
  volumes: strictMap(NAME, volumeSchema).optional(),
  secrets: strictMap(NAME, secretSchema).optional(),
  configs: strictMap(NAME, configSchema).optional(),
});

