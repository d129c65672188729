/**
 * The compose file as users may write it: every key of the Compose
 * Specification (the compose-go copy of its schema, which adds the newer keys
 * docker compose accepts: pre_start, build.no_cache_filter, models, provider,
 * ...), short and long forms. This zod schema is the single source of truth:
 * schema/compose-spec.json is generated from it (`npm run schema`) and a test
 * fails when the two drift. Typed fields also accept strings, as the
 * specification does, because `${VAR}` may stand in for a number or boolean.
 */
import { z } from 'zod';

const EXTENSION_KEY = /^x-/;

/** Marks objects whose JSON Schema form is `additionalProperties: false` plus `^x-` pattern properties. */
export const EXTENSIBLE_MARK = 'x-tsc-extensible';

/** An object with a closed set of keys, plus `x-*` extension keys anywhere. */
function extensible<T extends z.ZodRawShape>(shape: T) {
  return z
    .object(shape)
    .catchall(z.unknown())
    .superRefine((value, ctx) => {
      for (const key of Object.keys(value)) {
        if (key in shape || EXTENSION_KEY.test(key)) continue;
        ctx.addIssue({ code: 'custom', message: `additional properties '${key}' not allowed`, path: [], params: { additionalProperty: key } });
      }
    })
    .meta({ [EXTENSIBLE_MARK]: true });
}

function uniqueItems<T extends z.ZodType>(array: z.ZodArray<T>) {
  return array
    .superRefine((items, ctx) => {
      const seen = new Set<string>();
      items.forEach((item, index) => {
        const key = JSON.stringify(item);
        if (seen.has(key)) ctx.addIssue({ code: 'custom', message: 'items must be unique', path: [index], params: { duplicate: true } });
        seen.add(key);
      });
    })
    .meta({ uniqueItems: true });
}

export const serviceSchema: z.ZodType = extensible({
  develop: z.lazy(() => developmentSchema).optional(),
  deploy: z.lazy(() => deploymentSchema).optional(),
  annotations: z.lazy(() => listOrDictSchema).optional(),
  attach: z.union([z.boolean(), z.string()]).optional(),
  build: z.union([
    z.string(),
    extensible({
      context: z.string().optional(),
      dockerfile: z.string().optional(),
      dockerfile_inline: z.string().optional(),
      entitlements: z.array(z.string()).optional(),
      args: z.lazy(() => listOrDictSchema).optional(),
      ssh: z.lazy(() => listOrDictSchema).optional(),
      labels: z.lazy(() => listOrDictSchema).optional(),
      cache_from: z.array(z.string()).optional(),
      cache_to: z.array(z.string()).optional(),
      no_cache: z.union([z.boolean(), z.string()]).optional(),
      no_cache_filter: z.lazy(() => stringOrListSchema).optional(),
      additional_contexts: z.lazy(() => listOrDictSchema).optional(),
      network: z.string().optional(),
      provenance: z.union([z.string(), z.boolean()]).optional(),
      sbom: z.union([z.string(), z.boolean()]).optional(),
      pull: z.union([z.boolean(), z.string()]).optional(),
      target: z.string().optional(),
      shm_size: z.union([z.number().int(), z.string()]).optional(),
      extra_hosts: z.lazy(() => extraHostsSchema).optional(),
      isolation: z.string().optional(),
      privileged: z.union([z.boolean(), z.string()]).optional(),
      secrets: z.lazy(() => serviceConfigOrSecretSchema).optional(),
      tags: z.array(z.string()).optional(),
      ulimits: z.lazy(() => ulimitsSchema).optional(),
      platforms: z.array(z.string()).optional(),
    }),
  ]).optional(),
  blkio_config: extensible({
    device_read_bps: z.array(z.lazy(() => blkioLimitSchema)).optional(),
    device_read_iops: z.array(z.lazy(() => blkioLimitSchema)).optional(),
    device_write_bps: z.array(z.lazy(() => blkioLimitSchema)).optional(),
    device_write_iops: z.array(z.lazy(() => blkioLimitSchema)).optional(),
    weight: z.union([z.number().int(), z.string()]).optional(),
    weight_device: z.array(z.lazy(() => blkioWeightSchema)).optional(),
  }).optional(),
  cap_add: uniqueItems(z.array(z.string())).optional(),
  cap_drop: uniqueItems(z.array(z.string())).optional(),
  cgroup: z.enum(["host", "private"]).optional(),
  cgroup_parent: z.string().optional(),
  command: z.lazy(() => commandSchema).optional(),
  configs: z.lazy(() => serviceConfigOrSecretSchema).optional(),
  container_name: z.string().regex(new RegExp("[a-zA-Z0-9][a-zA-Z0-9_.-]+")).optional(),
  cpu_count: z.union([z.string(), z.number().int().min(0)]).optional(),
  cpu_percent: z.union([z.string(), z.number().int().min(0).max(100)]).optional(),
  cpu_shares: z.union([z.number(), z.string()]).optional(),
  cpu_quota: z.union([z.number(), z.string()]).optional(),
  cpu_period: z.union([z.number(), z.string()]).optional(),
  cpu_rt_period: z.union([z.number(), z.string()]).optional(),
  cpu_rt_runtime: z.union([z.number(), z.string()]).optional(),
  cpus: z.union([z.number(), z.string()]).optional(),
  cpuset: z.string().optional(),
  credential_spec: extensible({
    config: z.string().optional(),
    file: z.string().optional(),
    registry: z.string().optional(),
  }).optional(),
  depends_on: z.union([
    z.lazy(() => listOfStringsSchema),
    z.record(z.string().regex(new RegExp("^[a-zA-Z0-9._-]+$")), extensible({
      restart: z.union([z.boolean(), z.string()]).optional(),
      required: z.boolean().optional(),
      condition: z.enum(["service_started", "service_healthy", "service_completed_successfully"]),
    })),
  ]).optional(),
  device_cgroup_rules: z.lazy(() => listOfStringsSchema).optional(),
  devices: z.array(z.union([
    z.string(),
    extensible({
      source: z.string(),
      target: z.string().optional(),
      permissions: z.string().optional(),
    }),
  ])).optional(),
  dns: z.lazy(() => stringOrListSchema).optional(),
  dns_opt: uniqueItems(z.array(z.string())).optional(),
  dns_search: z.lazy(() => stringOrListSchema).optional(),
  domainname: z.string().optional(),
  entrypoint: z.lazy(() => commandSchema).optional(),
  env_file: z.lazy(() => envFileSchema).optional(),
  label_file: z.lazy(() => labelFileSchema).optional(),
  environment: z.lazy(() => listOrDictSchema).optional(),
  expose: uniqueItems(z.array(z.union([z.string(), z.number()]))).optional(),
  extends: z.union([
    z.string(),
    extensible({
      service: z.string(),
      file: z.string().optional(),
    }),
  ]).optional(),
  provider: extensible({
    type: z.string(),
    options: z.record(z.string(), z.union([
      z.union([z.string(), z.number(), z.boolean()]),
      z.array(z.union([z.string(), z.number(), z.boolean()])),
    ])).optional(),
  }).optional(),
  external_links: uniqueItems(z.array(z.string())).optional(),
  extra_hosts: z.lazy(() => extraHostsSchema).optional(),
  gpus: z.lazy(() => gpusSchema).optional(),
  group_add: uniqueItems(z.array(z.union([z.string(), z.number()]))).optional(),
  healthcheck: z.lazy(() => healthcheckSchema).optional(),
  hostname: z.string().optional(),
  image: z.string().optional(),
  init: z.union([z.boolean(), z.string()]).optional(),
  ipc: z.string().optional(),
  isolation: z.string().optional(),
  labels: z.lazy(() => listOrDictSchema).optional(),
  links: uniqueItems(z.array(z.string())).optional(),
  logging: extensible({
    driver: z.string().optional(),
    options: z.record(z.string(), z.union([z.string(), z.number(), z.null()])).optional(),
  }).optional(),
  mac_address: z.string().optional(),
  mem_limit: z.union([z.number(), z.string()]).optional(),
  mem_reservation: z.union([z.string(), z.number().int()]).optional(),
  mem_swappiness: z.union([z.number().int(), z.string()]).optional(),
  memswap_limit: z.union([z.number(), z.string()]).optional(),
  network_mode: z.string().optional(),
  models: z.union([
    z.lazy(() => listOfStringsSchema),
    z.record(z.string(), z.union([
      extensible({
        endpoint_var: z.string().optional(),
        model_var: z.string().optional(),
      }),
      z.null(),
    ])),
  ]).optional(),
  networks: z.union([
    z.lazy(() => listOfStringsSchema),
    z.record(z.string().regex(new RegExp("^[a-zA-Z0-9._-]+$")), z.union([
      extensible({
        aliases: z.lazy(() => listOfStringsSchema).optional(),
        interface_name: z.string().optional(),
        ipv4_address: z.string().optional(),
        ipv6_address: z.string().optional(),
        link_local_ips: z.lazy(() => listOfStringsSchema).optional(),
        mac_address: z.string().optional(),
        driver_opts: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
        priority: z.number().optional(),
        gw_priority: z.number().optional(),
      }),
      z.null(),
    ])),
  ]).optional(),
  oom_kill_disable: z.union([z.boolean(), z.string()]).optional(),
  oom_score_adj: z.union([z.string(), z.number().int().min(-1000).max(1000)]).optional(),
  pid: z.union([z.string(), z.null()]).optional(),
  pids_limit: z.union([z.number(), z.string()]).optional(),
  platform: z.string().optional(),
  ports: uniqueItems(z.array(z.union([
    z.number(),
    z.string(),
    extensible({
      name: z.string().optional(),
      mode: z.string().optional(),
      host_ip: z.string().optional(),
      target: z.union([z.number().int(), z.string()]).optional(),
      published: z.union([z.string(), z.number().int()]).optional(),
      protocol: z.string().optional(),
      app_protocol: z.string().optional(),
    }),
  ]))).optional(),
  pre_start: z.array(z.lazy(() => preStartHookSchema)).optional(),
  post_start: z.array(z.lazy(() => serviceHookSchema)).optional(),
  pre_stop: z.array(z.lazy(() => serviceHookSchema)).optional(),
  privileged: z.union([z.boolean(), z.string()]).optional(),
  profiles: z.lazy(() => listOfStringsSchema).optional(),
  pull_policy: z.string().regex(new RegExp("always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+")).optional(),
  pull_refresh_after: z.string().optional(),
  read_only: z.union([z.boolean(), z.string()]).optional(),
  restart: z.string().optional(),
  runtime: z.string().optional(),
  scale: z.union([z.number().int(), z.string()]).optional(),
  security_opt: uniqueItems(z.array(z.string())).optional(),
  shm_size: z.union([z.number(), z.string()]).optional(),
  secrets: z.lazy(() => serviceConfigOrSecretSchema).optional(),
  sysctls: z.lazy(() => listOrDictSchema).optional(),
  stdin_open: z.union([z.boolean(), z.string()]).optional(),
  stop_grace_period: z.string().optional(),
  stop_signal: z.string().optional(),
  storage_opt: z.record(z.string(), z.unknown()).optional(),
  tmpfs: z.lazy(() => stringOrListSchema).optional(),
  tty: z.union([z.boolean(), z.string()]).optional(),
  ulimits: z.lazy(() => ulimitsSchema).optional(),
  use_api_socket: z.boolean().optional(),
  user: z.string().optional(),
  uts: z.string().optional(),
  userns_mode: z.string().optional(),
  volumes: uniqueItems(z.array(z.union([
    z.string(),
    extensible({
      type: z.enum(["bind", "volume", "tmpfs", "cluster", "npipe", "image"]),
      source: z.string().optional(),
      target: z.string().optional(),
      read_only: z.union([z.boolean(), z.string()]).optional(),
      consistency: z.string().optional(),
      bind: extensible({
        propagation: z.string().optional(),
        create_host_path: z.union([z.boolean(), z.string()]).optional(),
        recursive: z.enum(["enabled", "disabled", "writable", "readonly"]).optional(),
        selinux: z.enum(["z", "Z"]).optional(),
      }).optional(),
      volume: extensible({
        labels: z.lazy(() => listOrDictSchema).optional(),
        nocopy: z.union([z.boolean(), z.string()]).optional(),
        subpath: z.string().optional(),
      }).optional(),
      tmpfs: extensible({
        size: z.union([z.number().int().min(0), z.string()]).optional(),
        mode: z.union([z.number(), z.string()]).optional(),
      }).optional(),
      image: extensible({
        subpath: z.string().optional(),
      }).optional(),
    }),
  ]))).optional(),
  volumes_from: uniqueItems(z.array(z.string())).optional(),
  working_dir: z.string().optional(),
});

export const healthcheckSchema: z.ZodType = extensible({
  disable: z.union([z.boolean(), z.string()]).optional(),
  interval: z.string().optional(),
  retries: z.union([z.number(), z.string()]).optional(),
  test: z.union([z.string(), z.array(z.string())]).optional(),
  timeout: z.string().optional(),
  start_period: z.string().optional(),
  start_interval: z.string().optional(),
});

export const developmentSchema: z.ZodType = z.union([extensible({
  watch: z.array(extensible({
    ignore: z.lazy(() => stringOrListSchema).optional(),
    include: z.lazy(() => stringOrListSchema).optional(),
    path: z.string(),
    action: z.enum(["rebuild", "sync", "restart", "sync+restart", "sync+exec"]),
    target: z.string().optional(),
    exec: z.lazy(() => serviceHookSchema).optional(),
    initial_sync: z.boolean().optional(),
  })).optional(),
}), z.null()]);

export const deploymentSchema: z.ZodType = z.union([extensible({
  mode: z.string().optional(),
  endpoint_mode: z.string().optional(),
  replicas: z.union([z.number().int(), z.string()]).optional(),
  labels: z.lazy(() => listOrDictSchema).optional(),
  rollback_config: extensible({
    parallelism: z.union([z.number().int(), z.string()]).optional(),
    delay: z.string().optional(),
    failure_action: z.string().optional(),
    monitor: z.string().optional(),
    max_failure_ratio: z.union([z.number(), z.string()]).optional(),
    order: z.enum(["start-first", "stop-first"]).optional(),
  }).optional(),
  update_config: extensible({
    parallelism: z.union([z.number().int(), z.string()]).optional(),
    delay: z.string().optional(),
    failure_action: z.string().optional(),
    monitor: z.string().optional(),
    max_failure_ratio: z.union([z.number(), z.string()]).optional(),
    order: z.enum(["start-first", "stop-first"]).optional(),
  }).optional(),
  resources: extensible({
    limits: extensible({
      cpus: z.union([z.number(), z.string()]).optional(),
      memory: z.string().optional(),
      pids: z.union([z.number().int(), z.string()]).optional(),
    }).optional(),
    reservations: extensible({
      cpus: z.union([z.number(), z.string()]).optional(),
      memory: z.string().optional(),
      generic_resources: z.lazy(() => genericResourcesSchema).optional(),
      devices: z.lazy(() => devicesSchema).optional(),
    }).optional(),
  }).optional(),
  restart_policy: extensible({
    condition: z.string().optional(),
    delay: z.string().optional(),
    max_attempts: z.union([z.number().int(), z.string()]).optional(),
    window: z.string().optional(),
  }).optional(),
  placement: extensible({
    constraints: z.array(z.string()).optional(),
    preferences: z.array(extensible({
      spread: z.string().optional(),
    })).optional(),
    max_replicas_per_node: z.union([z.number().int(), z.string()]).optional(),
  }).optional(),
}), z.null()]);

export const genericResourcesSchema: z.ZodType = z.array(extensible({
  discrete_resource_spec: extensible({
    kind: z.string().optional(),
    value: z.union([z.number(), z.string()]).optional(),
  }).optional(),
}));

export const devicesSchema: z.ZodType = z.array(extensible({
  capabilities: z.lazy(() => listOfStringsSchema),
  count: z.union([z.string(), z.number().int()]).optional(),
  device_ids: z.lazy(() => listOfStringsSchema).optional(),
  driver: z.string().optional(),
  options: z.lazy(() => listOrDictSchema).optional(),
}));

export const gpusSchema: z.ZodType = z.union([
  z.enum(["all"]),
  z.array(extensible({
    capabilities: z.lazy(() => listOfStringsSchema).optional(),
    count: z.union([z.string(), z.number().int()]).optional(),
    device_ids: z.lazy(() => listOfStringsSchema).optional(),
    driver: z.string().optional(),
    options: z.lazy(() => listOrDictSchema).optional(),
  })),
]);

export const includeSchema: z.ZodType = z.union([
  z.string(),
  extensible({
    path: z.lazy(() => stringOrListSchema).optional(),
    env_file: z.lazy(() => stringOrListSchema).optional(),
    project_directory: z.string().optional(),
  }),
]);

export const networkSchema: z.ZodType = z.union([extensible({
  name: z.string().optional(),
  driver: z.string().optional(),
  driver_opts: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  ipam: extensible({
    driver: z.string().optional(),
    config: z.array(extensible({
      subnet: z.string().optional(),
      ip_range: z.string().optional(),
      gateway: z.string().optional(),
      aux_addresses: z.record(z.string().regex(new RegExp("^.+$")), z.string()).optional(),
    })).optional(),
    options: z.record(z.string().regex(new RegExp("^.+$")), z.string()).optional(),
  }).optional(),
  external: z.union([z.boolean(), z.string(), extensible({
    name: z.string().optional(),
  })]).optional(),
  internal: z.union([z.boolean(), z.string()]).optional(),
  enable_ipv4: z.union([z.boolean(), z.string()]).optional(),
  enable_ipv6: z.union([z.boolean(), z.string()]).optional(),
  attachable: z.union([z.boolean(), z.string()]).optional(),
  labels: z.lazy(() => listOrDictSchema).optional(),
}), z.null()]);

export const volumeSchema: z.ZodType = z.union([extensible({
  name: z.string().optional(),
  driver: z.string().optional(),
  driver_opts: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  external: z.union([z.boolean(), z.string(), extensible({
    name: z.string().optional(),
  })]).optional(),
  labels: z.lazy(() => listOrDictSchema).optional(),
}), z.null()]);

export const secretSchema: z.ZodType = extensible({
  name: z.string().optional(),
  environment: z.string().optional(),
  file: z.string().optional(),
  external: z.union([z.boolean(), z.string(), extensible({
    name: z.string().optional(),
  })]).optional(),
  labels: z.lazy(() => listOrDictSchema).optional(),
  driver: z.string().optional(),
  driver_opts: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  template_driver: z.string().optional(),
});

export const configSchema: z.ZodType = extensible({
  name: z.string().optional(),
  content: z.string().optional(),
  environment: z.string().optional(),
  file: z.string().optional(),
  external: z.union([z.boolean(), z.string(), extensible({
    name: z.string().optional(),
  })]).optional(),
  labels: z.lazy(() => listOrDictSchema).optional(),
  template_driver: z.string().optional(),
});

export const modelSchema: z.ZodType = extensible({
  name: z.string().optional(),
  model: z.string(),
  context_size: z.number().int().optional(),
  runtime_flags: z.array(z.string()).optional(),
});

export const commandSchema: z.ZodType = z.union([z.null(), z.string(), z.array(z.string())]);

export const serviceHookSchema: z.ZodType = extensible({
  command: z.lazy(() => commandSchema),
  user: z.string().optional(),
  privileged: z.union([z.boolean(), z.string()]).optional(),
  working_dir: z.string().optional(),
  environment: z.lazy(() => listOrDictSchema).optional(),
});

export const preStartHookSchema: z.ZodType = extensible({
  command: z.lazy(() => commandSchema).optional(),
  image: z.string().optional(),
  user: z.string().optional(),
  privileged: z.union([z.boolean(), z.string()]).optional(),
  working_dir: z.string().optional(),
  environment: z.lazy(() => listOrDictSchema).optional(),
  per_replica: z.union([z.boolean(), z.string()]).optional(),
});

export const envFileSchema: z.ZodType = z.union([
  z.string(),
  z.array(z.union([
    z.string(),
    extensible({
      path: z.string(),
      format: z.string().optional(),
      required: z.union([z.boolean(), z.string()]).optional(),
    }),
  ])),
]);

export const labelFileSchema: z.ZodType = z.union([z.string(), z.array(z.string())]);

export const stringOrListSchema: z.ZodType = z.union([z.string(), z.lazy(() => listOfStringsSchema)]);

export const listOfStringsSchema: z.ZodType = uniqueItems(z.array(z.string()));

export const listOrDictSchema: z.ZodType = z.union([
  z.record(z.string().regex(new RegExp(".+")), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  uniqueItems(z.array(z.string())),
]);

export const extraHostsSchema: z.ZodType = z.union([
  z.record(z.string().regex(new RegExp(".+")), z.union([z.string(), z.array(z.string())])),
  uniqueItems(z.array(z.string())),
]);

export const blkioLimitSchema: z.ZodType = extensible({
  path: z.string().optional(),
  rate: z.union([z.number().int(), z.string()]).optional(),
});

export const blkioWeightSchema: z.ZodType = extensible({
  path: z.string().optional(),
  weight: z.union([z.number().int(), z.string()]).optional(),
});

export const serviceConfigOrSecretSchema: z.ZodType = z.array(z.union([
  z.string(),
  extensible({
    source: z.string().optional(),
    target: z.string().optional(),
    uid: z.string().optional(),
    gid: z.string().optional(),
    mode: z.union([z.number(), z.string()]).optional(),
  }),
]));

export const ulimitsSchema: z.ZodType = z.record(z.string(), z.union([
  z.union([z.number().int(), z.string()]),
  extensible({
    hard: z.union([z.number().int(), z.string()]),
    soft: z.union([z.number().int(), z.string()]),
  }),
]));

export const ComposeFileSchema: z.ZodType = extensible({
  version: z.string().optional(),
  name: z.string().optional(),
  include: z.array(z.lazy(() => includeSchema)).optional(),
  services: z.record(z.string().regex(new RegExp("^[a-zA-Z0-9._-]+$")), z.lazy(() => serviceSchema)).optional(),
  models: z.record(z.string(), z.lazy(() => modelSchema)).optional(),
  networks: z.record(z.string(), z.lazy(() => networkSchema)).optional(),
  volumes: z.record(z.string().regex(new RegExp("^[a-zA-Z0-9._-]+$")), z.lazy(() => volumeSchema)).optional(),
  secrets: z.record(z.string().regex(new RegExp("^[a-zA-Z0-9._-]+$")), z.lazy(() => secretSchema)).optional(),
  configs: z.record(z.string().regex(new RegExp("^[a-zA-Z0-9._-]+$")), z.lazy(() => configSchema)).optional(),
});

/** Named definitions, emitted under `$defs` in the generated JSON Schema. */
export const DEFINITIONS: Record<string, z.ZodType> = {
  service: serviceSchema,
  healthcheck: healthcheckSchema,
  development: developmentSchema,
  deployment: deploymentSchema,
  generic_resources: genericResourcesSchema,
  devices: devicesSchema,
  gpus: gpusSchema,
  include: includeSchema,
  network: networkSchema,
  volume: volumeSchema,
  secret: secretSchema,
  config: configSchema,
  model: modelSchema,
  command: commandSchema,
  service_hook: serviceHookSchema,
  pre_start_hook: preStartHookSchema,
  env_file: envFileSchema,
  label_file: labelFileSchema,
  string_or_list: stringOrListSchema,
  list_of_strings: listOfStringsSchema,
  list_or_dict: listOrDictSchema,
  extra_hosts: extraHostsSchema,
  blkio_limit: blkioLimitSchema,
  blkio_weight: blkioWeightSchema,
  service_config_or_secret: serviceConfigOrSecretSchema,
  ulimits: ulimitsSchema,
};
