/**
 * The canonical project model: what the rest of tsc-compose consumes, in the
 * shape `docker compose config --format json` prints (compose-go's types):
 * long syntax everywhere, absolute paths, maps of strings, durations as Go
 * strings (`1m30s`). Deliberate differences, for typed consumers:
 * - byte sizes are numbers of bytes (docker prints them as decimal strings);
 * - secret/config `mode` is a number (docker prints the octal string `"0440"`);
 * - `ulimits` entries are always `{soft, hard}` (docker prints a single value as a number);
 * - `env_file` entries always carry `required` (docker omits `required: true`);
 * - `environment` has no null values: a pass-through variable that is unset is dropped.
 * Every object is loose: extension keys (`x-*`) and keys the engine does not
 * use yet are kept as they came.
 */
import { z } from 'zod';

const stringMap = z.record(z.string(), z.string());
const stringList = z.array(z.string());
const int = z.number().int();
/** A Go duration string as `time.Duration.String()` prints it. */
const duration = z.string();
/** Bytes. */
const bytes = z.number().int();

export const PortConfigSchema = z.looseObject({
  name: z.string().optional(),
  mode: z.string(),
  host_ip: z.string().optional(),
  target: int.min(0),
  /** A port (`"8080"`) or a host range (`"8000-8010"`) for docker to choose from. */
  published: z.string().optional(),
  protocol: z.string(),
  app_protocol: z.string().optional(),
});

export const VolumeBindSchema = z.looseObject({
  propagation: z.string().optional(),
  /** Absent means true (docker creates a missing bind source); see `createsHostPath`. */
  create_host_path: z.boolean().optional(),
  selinux: z.string().optional(),
  recursive: z.string().optional(),
});

export const VolumeMountSchema = z.looseObject({
  type: z.enum(['bind', 'volume', 'tmpfs', 'image', 'npipe', 'cluster']),
  source: z.string().optional(),
  target: z.string(),
  read_only: z.boolean().optional(),
  consistency: z.string().optional(),
  bind: VolumeBindSchema.optional(),
  volume: z.looseObject({ nocopy: z.boolean().optional(), subpath: z.string().optional(), labels: stringMap.optional() }).optional(),
  tmpfs: z.looseObject({ size: bytes.optional(), mode: int.optional() }).optional(),
  image: z.looseObject({ subpath: z.string().optional() }).optional(),
});

export const ServiceDependencySchema = z.looseObject({
  condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']),
  required: z.boolean(),
  restart: z.boolean().optional(),
});

export const HealthCheckSchema = z.looseObject({
  /** `["CMD", ...]`, `["CMD-SHELL", cmd]` or `["NONE"]` (then `disable` is true too). */
  test: stringList.optional(),
  interval: duration.optional(),
  timeout: duration.optional(),
  retries: int.optional(),
  start_period: duration.optional(),
  start_interval: duration.optional(),
  disable: z.boolean().optional(),
});

export const UlimitSchema = z.looseObject({ soft: int, hard: int });

/** A service's reference to a secret or config (also build secrets). */
export const FileReferenceSchema = z.looseObject({
  source: z.string(),
  target: z.string().optional(),
  uid: z.string().optional(),
  gid: z.string().optional(),
  /** Permission bits as a number (`0o440` = 288). */
  mode: int.optional(),
});

export const BuildConfigSchema = z.looseObject({
  context: z.string(),
  dockerfile: z.string().optional(),
  dockerfile_inline: z.string().optional(),
  args: stringMap.optional(),
  /** `default` or `id=path`. */
  ssh: stringList.optional(),
  labels: stringMap.optional(),
  cache_from: stringList.optional(),
  cache_to: stringList.optional(),
  no_cache: z.boolean().optional(),
  additional_contexts: stringMap.optional(),
  network: z.string().optional(),
  target: z.string().optional(),
  pull: z.boolean().optional(),
  shm_size: bytes.optional(),
  /** `host=ip`, sorted. */
  extra_hosts: stringList.optional(),
  isolation: z.string().optional(),
  privileged: z.boolean().optional(),
  secrets: z.array(FileReferenceSchema).optional(),
  tags: stringList.optional(),
  ulimits: z.record(z.string(), UlimitSchema).optional(),
  platforms: stringList.optional(),
  entitlements: stringList.optional(),
  provenance: z.string().optional(),
  sbom: z.string().optional(),
});

export const ServiceNetworkConfigSchema = z.looseObject({
  aliases: stringList.optional(),
  driver_opts: stringMap.optional(),
  gw_priority: int.optional(),
  interface_name: z.string().optional(),
  ipv4_address: z.string().optional(),
  ipv6_address: z.string().optional(),
  link_local_ips: stringList.optional(),
  mac_address: z.string().optional(),
  priority: int.optional(),
});

export const EnvFileSchema = z.looseObject({ path: z.string(), required: z.boolean(), format: z.string().optional() });

export const LoggingConfigSchema = z.looseObject({ driver: z.string().optional(), options: stringMap.optional() });

export const DeviceMappingSchema = z.looseObject({ source: z.string(), target: z.string().optional(), permissions: z.string().optional() });

export const DeviceRequestSchema = z.looseObject({
  capabilities: stringList.optional(),
  driver: z.string().optional(),
  /** -1 means all devices. */
  count: int.optional(),
  device_ids: stringList.optional(),
  options: stringMap.optional(),
});

export const ResourceSchema = z.looseObject({
  cpus: z.number().optional(),
  memory: bytes.optional(),
  pids: int.optional(),
  devices: z.array(DeviceRequestSchema).optional(),
  generic_resources: z
    .array(z.looseObject({ discrete_resource_spec: z.looseObject({ kind: z.string().optional(), value: int.optional() }).optional() }))
    .optional(),
});

export const UpdateConfigSchema = z.looseObject({
  parallelism: int.optional(),
  delay: duration.optional(),
  failure_action: z.string().optional(),
  monitor: duration.optional(),
  max_failure_ratio: z.number().optional(),
  order: z.string().optional(),
});

export const DeployConfigSchema = z.looseObject({
  mode: z.string().optional(),
  replicas: int.optional(),
  labels: stringMap.optional(),
  update_config: UpdateConfigSchema.optional(),
  rollback_config: UpdateConfigSchema.optional(),
  resources: z.looseObject({ limits: ResourceSchema.optional(), reservations: ResourceSchema.optional() }).optional(),
  restart_policy: z
    .looseObject({ condition: z.string().optional(), delay: duration.optional(), max_attempts: int.optional(), window: duration.optional() })
    .optional(),
  placement: z
    .looseObject({
      constraints: stringList.optional(),
      preferences: z.array(z.looseObject({ spread: z.string().optional() })).optional(),
      max_replicas_per_node: int.optional(),
    })
    .optional(),
  endpoint_mode: z.string().optional(),
});

/** `post_start`, `pre_stop`, `pre_start` entries and `develop.watch[].exec`. */
export const ServiceHookSchema = z.looseObject({
  command: stringList.nullable().optional(),
  image: z.string().optional(),
  user: z.string().optional(),
  privileged: z.boolean().optional(),
  working_dir: z.string().optional(),
  environment: stringMap.optional(),
  per_replica: z.boolean().optional(),
});

export const WatchRuleSchema = z.looseObject({
  path: z.string(),
  action: z.enum(['sync', 'rebuild', 'restart', 'sync+restart', 'sync+exec']),
  target: z.string().optional(),
  exec: ServiceHookSchema.optional(),
  include: stringList.optional(),
  ignore: stringList.optional(),
  initial_sync: z.boolean().optional(),
});

export const DevelopConfigSchema = z.looseObject({ watch: z.array(WatchRuleSchema).optional() });

const throttle = z.array(z.looseObject({ path: z.string(), rate: bytes }));

export const BlkioConfigSchema = z.looseObject({
  weight: int.optional(),
  weight_device: z.array(z.looseObject({ path: z.string(), weight: int })).optional(),
  device_read_bps: throttle.optional(),
  device_read_iops: throttle.optional(),
  device_write_bps: throttle.optional(),
  device_write_iops: throttle.optional(),
});

export const ServiceConfigSchema = z.looseObject({
  annotations: stringMap.optional(),
  attach: z.boolean().optional(),
  blkio_config: BlkioConfigSchema.optional(),
  build: BuildConfigSchema.optional(),
  cap_add: stringList.optional(),
  cap_drop: stringList.optional(),
  cgroup: z.string().optional(),
  cgroup_parent: z.string().optional(),
  /** null: written as `command: null` (keep the image's). */
  command: stringList.nullable().optional(),
  configs: z.array(FileReferenceSchema).optional(),
  container_name: z.string().optional(),
  cpu_count: int.optional(),
  cpu_percent: z.number().optional(),
  cpu_period: int.optional(),
  cpu_quota: int.optional(),
  cpu_rt_period: int.optional(),
  cpu_rt_runtime: int.optional(),
  cpu_shares: int.optional(),
  cpus: z.number().optional(),
  cpuset: z.string().optional(),
  credential_spec: z.looseObject({ config: z.string().optional(), file: z.string().optional(), registry: z.string().optional() }).optional(),
  depends_on: z.record(z.string(), ServiceDependencySchema).optional(),
  deploy: DeployConfigSchema.optional(),
  develop: DevelopConfigSchema.optional(),
  device_cgroup_rules: stringList.optional(),
  devices: z.array(DeviceMappingSchema).optional(),
  dns: stringList.optional(),
  dns_opt: stringList.optional(),
  dns_search: stringList.optional(),
  domainname: z.string().optional(),
  entrypoint: stringList.nullable().optional(),
  env_file: z.array(EnvFileSchema).optional(),
  /** The service's own values over the env_file values; pass-through variables resolved. */
  environment: stringMap.optional(),
  expose: stringList.optional(),
  extends: z.looseObject({ service: z.string(), file: z.string().optional() }).optional(),
  external_links: stringList.optional(),
  /** `host=ip`, sorted (compose-go's HostsList). */
  extra_hosts: stringList.optional(),
  gpus: z.array(DeviceRequestSchema).optional(),
  group_add: stringList.optional(),
  healthcheck: HealthCheckSchema.optional(),
  hostname: z.string().optional(),
  image: z.string().optional(),
  init: z.boolean().optional(),
  ipc: z.string().optional(),
  isolation: z.string().optional(),
  label_file: stringList.optional(),
  /** label_file values under the service's own labels. */
  labels: stringMap.optional(),
  links: stringList.optional(),
  logging: LoggingConfigSchema.optional(),
  mac_address: z.string().optional(),
  mem_limit: bytes.optional(),
  mem_reservation: bytes.optional(),
  mem_swappiness: int.optional(),
  /** -1: unlimited swap. */
  memswap_limit: bytes.optional(),
  models: z.record(z.string(), z.looseObject({ endpoint_var: z.string().optional(), model_var: z.string().optional() }).nullable()).optional(),
  network_mode: z.string().optional(),
  /** name → null (defaults) or per-network settings. */
  networks: z.record(z.string(), ServiceNetworkConfigSchema.nullable()).optional(),
  oom_kill_disable: z.boolean().optional(),
  oom_score_adj: int.optional(),
  pid: z.string().optional(),
  pids_limit: int.optional(),
  platform: z.string().optional(),
  ports: z.array(PortConfigSchema).optional(),
  post_start: z.array(ServiceHookSchema).optional(),
  pre_start: z.array(ServiceHookSchema).optional(),
  pre_stop: z.array(ServiceHookSchema).optional(),
  privileged: z.boolean().optional(),
  profiles: stringList.optional(),
  provider: z.looseObject({ type: z.string(), options: z.record(z.string(), stringList).optional() }).optional(),
  pull_policy: z.string().optional(),
  read_only: z.boolean().optional(),
  restart: z.string().optional(),
  runtime: z.string().optional(),
  scale: int.optional(),
  secrets: z.array(FileReferenceSchema).optional(),
  security_opt: stringList.optional(),
  shm_size: bytes.optional(),
  stdin_open: z.boolean().optional(),
  stop_grace_period: duration.optional(),
  stop_signal: z.string().optional(),
  storage_opt: stringMap.optional(),
  sysctls: stringMap.optional(),
  tmpfs: stringList.optional(),
  tty: z.boolean().optional(),
  ulimits: z.record(z.string(), UlimitSchema).optional(),
  use_api_socket: z.boolean().optional(),
  user: z.string().optional(),
  userns_mode: z.string().optional(),
  uts: z.string().optional(),
  volumes: z.array(VolumeMountSchema).optional(),
  volumes_from: stringList.optional(),
  working_dir: z.string().optional(),
});

export const IpamConfigSchema = z.looseObject({
  driver: z.string().optional(),
  config: z
    .array(
      z.looseObject({
        subnet: z.string().optional(),
        gateway: z.string().optional(),
        ip_range: z.string().optional(),
        aux_addresses: stringMap.optional(),
      }),
    )
    .optional(),
  options: stringMap.optional(),
});

export const NetworkConfigSchema = z.looseObject({
  /** The engine-side name: `<project>_<key>` unless set or external. */
  name: z.string(),
  driver: z.string().optional(),
  driver_opts: stringMap.optional(),
  ipam: IpamConfigSchema.optional(),
  external: z.boolean().optional(),
  internal: z.boolean().optional(),
  attachable: z.boolean().optional(),
  labels: stringMap.optional(),
  enable_ipv4: z.boolean().optional(),
  enable_ipv6: z.boolean().optional(),
});

export const VolumeConfigSchema = z.looseObject({
  name: z.string(),
  driver: z.string().optional(),
  driver_opts: stringMap.optional(),
  external: z.boolean().optional(),
  labels: stringMap.optional(),
});

/** Top-level secrets and configs (compose-go's FileObjectConfig). */
export const FileObjectConfigSchema = z.looseObject({
  name: z.string(),
  file: z.string().optional(),
  environment: z.string().optional(),
  content: z.string().optional(),
  external: z.boolean().optional(),
  labels: stringMap.optional(),
  driver: z.string().optional(),
  driver_opts: stringMap.optional(),
  template_driver: z.string().optional(),
});
export const SecretConfigSchema = FileObjectConfigSchema;
export const ConfigObjSchema = FileObjectConfigSchema;

export const ModelConfigSchema = z.looseObject({
  name: z.string().optional(),
  model: z.string().optional(),
  context_size: int.optional(),
  runtime_flags: stringList.optional(),
});

export const ProjectSchema = z.looseObject({
  name: z.string().min(1),
  services: z.record(z.string(), ServiceConfigSchema),
  networks: z.record(z.string(), NetworkConfigSchema),
  volumes: z.record(z.string(), VolumeConfigSchema),
  secrets: z.record(z.string(), SecretConfigSchema),
  configs: z.record(z.string(), ConfigObjSchema),
  models: z.record(z.string(), ModelConfigSchema).optional(),
});

export type HealthCheck = z.infer<typeof HealthCheckSchema>;
export type ServiceConfig = z.infer<typeof ServiceConfigSchema>;
export type NetworkConfig = z.infer<typeof NetworkConfigSchema>;
export type Project = z.infer<typeof ProjectSchema>;
