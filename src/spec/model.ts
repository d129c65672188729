/**
 * The canonical project model: what the rest of tsc-compose consumes, in the
 * shape `docker compose config --format json` prints (long syntax, absolute
 * paths, durations as Go strings, sizes in bytes). The keys the engine acts
 * on are typed; every other key of the specification is kept as it came.
 */
import { z } from 'zod';

const looseObject = <T extends z.ZodRawShape>(shape: T) => z.looseObject(shape);

export const PortConfigSchema = looseObject({
  name: z.string().optional(),
  mode: z.string(),
  host_ip: z.string().optional(),
  target: z.number().int(),
  published: z.string().optional(),
  protocol: z.string(),
  app_protocol: z.string().optional(),
});

export const VolumeMountSchema = looseObject({
  type: z.enum(['bind', 'volume', 'tmpfs', 'image', 'npipe', 'cluster']),
  source: z.string().optional(),
  target: z.string(),
  read_only: z.boolean().optional(),
  bind: looseObject({ propagation: z.string().optional(), create_host_path: z.boolean().optional(), selinux: z.string().optional() }).optional(),
  volume: looseObject({ nocopy: z.boolean().optional(), subpath: z.string().optional() }).optional(),
  tmpfs: looseObject({ size: z.number().optional(), mode: z.number().optional() }).optional(),
});

export const ServiceDependencySchema = looseObject({
  condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']),
  required: z.boolean(),
  restart: z.boolean().optional(),
});

export const HealthCheckSchema = looseObject({
  test: z.array(z.string()).optional(),
  interval: z.string().optional(),
  timeout: z.string().optional(),
  retries: z.number().int().optional(),
  start_period: z.string().optional(),
  start_interval: z.string().optional(),
  disable: z.boolean().optional(),
});

export const BuildConfigSchema = looseObject({
  context: z.string(),
  dockerfile: z.string().optional(),
  dockerfile_inline: z.string().optional(),
  args: z.record(z.string(), z.string()).optional(),
  target: z.string().optional(),
});

export const ServiceNetworkSchema = z.union([
  z.null(),
  looseObject({
    aliases: z.array(z.string()).optional(),
    ipv4_address: z.string().optional(),
    ipv6_address: z.string().optional(),
    mac_address: z.string().optional(),
    interface_name: z.string().optional(),
    priority: z.number().optional(),
  }),
]);

export const ServiceConfigSchema = looseObject({
  image: z.string().optional(),
  build: BuildConfigSchema.optional(),
  command: z.array(z.string()).nullable().optional(),
  entrypoint: z.array(z.string()).nullable().optional(),
  environment: z.record(z.string(), z.string()).optional(),
  env_file: z.array(looseObject({ path: z.string(), required: z.boolean(), format: z.string().optional() })).optional(),
  ports: z.array(PortConfigSchema).optional(),
  expose: z.array(z.string()).optional(),
  volumes: z.array(VolumeMountSchema).optional(),
  depends_on: z.record(z.string(), ServiceDependencySchema).optional(),
  healthcheck: HealthCheckSchema.optional(),
  restart: z.string().optional(),
  networks: z.record(z.string(), ServiceNetworkSchema).optional(),
  network_mode: z.string().optional(),
  working_dir: z.string().optional(),
  user: z.string().optional(),
  container_name: z.string().optional(),
  hostname: z.string().optional(),
  domainname: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  profiles: z.array(z.string()).optional(),
  scale: z.number().int().optional(),
  init: z.boolean().optional(),
  tty: z.boolean().optional(),
  stdin_open: z.boolean().optional(),
  privileged: z.boolean().optional(),
  read_only: z.boolean().optional(),
  cap_add: z.array(z.string()).optional(),
  cap_drop: z.array(z.string()).optional(),
  security_opt: z.array(z.string()).optional(),
  stop_signal: z.string().optional(),
  stop_grace_period: z.string().optional(),
  mem_limit: z.number().optional(),
  memswap_limit: z.number().optional(),
  mem_reservation: z.number().optional(),
  cpus: z.number().optional(),
  cpu_shares: z.number().optional(),
  cpuset: z.string().optional(),
  pids_limit: z.number().optional(),
  shm_size: z.number().optional(),
  tmpfs: z.array(z.string()).optional(),
  ulimits: z.record(z.string(), z.union([z.number(), looseObject({ soft: z.number(), hard: z.number() })])).optional(),
  sysctls: z.record(z.string(), z.string()).optional(),
  extra_hosts: z.array(z.string()).optional(),
  dns: z.array(z.string()).optional(),
  dns_search: z.array(z.string()).optional(),
  dns_opt: z.array(z.string()).optional(),
  pull_policy: z.string().optional(),
  platform: z.string().optional(),
  ipc: z.string().optional(),
  pid: z.string().optional(),
  uts: z.string().optional(),
  links: z.array(z.string()).optional(),
  volumes_from: z.array(z.string()).optional(),
  secrets: z.array(looseObject({ source: z.string(), target: z.string().optional() })).optional(),
  configs: z.array(looseObject({ source: z.string(), target: z.string().optional() })).optional(),
  group_add: z.array(z.union([z.string(), z.number()])).optional(),
  oom_score_adj: z.number().optional(),
});

const ResourceSchema = looseObject({ name: z.string().optional(), external: z.boolean().optional(), labels: z.record(z.string(), z.string()).optional() });

export const ProjectSchema = looseObject({
  name: z.string(),
  services: z.record(z.string(), ServiceConfigSchema),
  networks: z.record(z.string(), ResourceSchema).optional(),
  volumes: z.record(z.string(), ResourceSchema).optional(),
  secrets: z.record(z.string(), ResourceSchema).optional(),
  configs: z.record(z.string(), ResourceSchema).optional(),
  models: z.record(z.string(), z.unknown()).optional(),
});

export type PortConfig = z.infer<typeof PortConfigSchema>;
export type VolumeMount = z.infer<typeof VolumeMountSchema>;
export type ServiceDependency = z.infer<typeof ServiceDependencySchema>;
export type HealthCheck = z.infer<typeof HealthCheckSchema>;
export type BuildConfig = z.infer<typeof BuildConfigSchema>;
export type ServiceConfig = z.infer<typeof ServiceConfigSchema>;
export type Project = z.infer<typeof ProjectSchema>;

export function serviceNames(project: Project): string[] {
  return Object.keys(project.services);
}
