/** The image a service runs: from the local store, or pulled on demand as its pull_policy says. */
import { TscComposeError } from '../errors/index.js';
import type { ServiceConfig } from '../compose/model.js';
import type { Host } from './host.js';
import type { ImageConfig } from '../image/oci.js';
import { RegistryClient } from '../image/registry/client.js';
import { CredentialStore } from '../image/registry/credentials.js';
import { pullImage } from '../image/pull.js';
import { decidePull, parsePullPolicy } from '../image/pull-policy.js';
import type { EngineSettings } from './config/settings.js';

export interface ResolvedImage {
  reference: string;
  lowerDirs: string[];
  config: ImageConfig;
}

/** A registry client with the engine settings' mirrors, insecure registries and certificates (one per operation: a reload reaches the next). */
export function registryClientFor(settings: EngineSettings): RegistryClient {
  return new RegistryClient({
    credentials: new CredentialStore(),
    mirrors: settings.registryMirrors,
    insecureRegistries: settings.insecureRegistries,
    certsDir: settings.certsDir,
    dockerHubEndpoint: settings.dockerHubEndpoint,
  });
}

export async function resolveServiceImage(
  host: Host,
  serviceName: string,
  service: ServiceConfig,
  pullOverride: string | undefined,
  io: { stderr: NodeJS.WritableStream },
  settings: EngineSettings,
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
    const client = registryClientFor(settings);
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
