/**
 * `--no-build`, docker compose's "don't build an image, even if it's
 * policy". tsc-compose builds nothing, so a service with an `image:` runs it
 * as it always does; what changes is a service that only has `build:`: it
 * runs the image a build would have made, `<project>-<service>` (the name
 * docker compose gives it), if that image is in the local store (a build's
 * product is never pulled), instead of failing because building is not
 * supported.
 */
import { TscComposeError } from '../errors/index.js';
import type { ProjectRef } from '../engine/api/protocol.js';
import { buildDependencyGraph } from '../graph/dependency-graph.js';

/** The project with every build-only service given its built image; an error when one `up` needs is not here. */
export function withoutBuilds(ref: ProjectRef, services: readonly string[], noDeps: boolean, imageExists: (reference: string) => boolean): ProjectRef {
  const project = ref.project;
  const needed = new Set(services.length === 0 ? Object.keys(project.services) : noDeps ? services : buildDependencyGraph(project).withDependencies([...services]));
  const rewritten: typeof project.services = {};
  for (const [name, service] of Object.entries(project.services)) {
    if (service.image !== undefined || service.build === undefined) {
      rewritten[name] = service;
      continue;
    }
    const image = `${project.name}-${name}`;
    if (needed.has(name) && !imageExists(image)) {
      throw new TscComposeError('TSC_IMAGE_NOT_FOUND', `service "${name}" is built (it has no image:), and with --no-build it runs the image "${image}", which is not here (building images is not supported yet)`, { service: name });
    }
    rewritten[name] = { ...service, image, pull_policy: 'never' };
  }
  return { ...ref, project: { ...project, services: rewritten } };
}
