/** The image a service runs: from the local store, or pulled on demand as its pull_policy says. */
import { TscComposeError } from '../errors/index.js';
import type { ServiceConfig } from '../compose/model.js';
import type { Host } from './host.js';
import type { ImageConfig } from '../image/oci.js';
import { RegistryClient } from '../image/registry/client.js';
import { CredentialStore } from '../image/registry/credentials.js';
import { pullImage } from '../image/pull.js';
import { decidePull, parsePullPolicy } from '../image/pull-policy.js';

export interface ResolvedImage {
  reference: string;
  lowerDirs: string[];
  config: ImageConfig;
}

export function registryClientFromEnv(env: NodeJS.ProcessEnv = process.env): RegistryClient {
  const list = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return new RegistryClient({
    credentials: new CredentialStore(),
    mirrors: list(env['TSC_COMPOSE_REGISTRY_MIRRORS']),
    insecureRegistries: list(env['TSC_COMPOSE_INSECURE_REGISTRIES']),
    certsDir: env['TSC_COMPOSE_CERTS_DIR'] ?? '/etc/docker/certs.d',
    // Docker Hub's API endpoint; tests put a local registry there (unset in normal use).
    dockerHubEndpoint: env['TSC_COMPOSE_DOCKER_HUB_ENDPOINT'] || undefined,
  });
}

export async function resolveServiceImage(
  host: Host,
  serviceName: string,
  service: ServiceConfig,
  pullOverride: string | undefined,
  io: { stderr: NodeJS.WritableStream },
): Promise<ResolvedImage> {
  const reference = service.image;
  if (!reference) {
    throw new TscComposeError('TSC_BUILD_UNSUPPORTED', `service "${serviceName}" has no image and building images is not supported yet`, { service: serviceName });
  }
  const policy = parsePullPolicy(pullOverride ?? service.pull_policy);
  const local = host.images.find(reference);
  const decision = decidePull(policy, local, Date.now());
  let record = local;
  if (decision === 'unavailable') {
    throw new TscComposeError('TSC_IMAGE_NOT_FOUND', `image "${reference}" not found locally and pull_policy is "never"`, { service: serviceName });
  }
  if (decision === 'pull') {
    const client = registryClientFromEnv();
    try {
      io.stderr.write(`Pulling ${reference}...\n`);
      record = await pullImage(host.images, client, reference, { platform: service.platform });
    } catch (err) {
      const why = err instanceof TscComposeError ? err.message : String(err);
      // A periodic refresh that cannot reach the registry keeps the image it has.
      if (local && policy.kind === 'refresh') {
        io.stderr.write(`warning: could not refresh ${reference}, using the local image: ${why}\n`);
      } else {
        throw new TscComposeError('TSC_IMAGE_NOT_FOUND', `image "${reference}" is not available locally and could not be pulled: ${why}`, { service: serviceName, cause: err });
      }
    } finally {
      await client.close();
    }
  }
  if (!record) throw new TscComposeError('TSC_IMAGE_NOT_FOUND', `image "${reference}" not found`, { service: serviceName });
  await host.images.ensureSnapshots(record);
  return { reference: record.reference, lowerDirs: host.images.lowerDirs(record), config: host.images.config(record) };
}
