/** Small questions about the typed model, without loading the model's zod schemas. */
import type { HealthCheck, Project, ServiceConfig, VolumeMount } from './model.js';

/** Service names in declaration order (the model has no `name` inside a service, as docker prints it). */
export function serviceNames(project: Project): string[] {
  return Object.keys(project.services);
}

/** The service, or undefined. */
export function getService(project: Project, name: string): ServiceConfig | undefined {
  return Object.hasOwn(project.services, name) ? project.services[name] : undefined;
}

/** How many containers the service runs: `scale`, else `deploy.replicas`, else 1 (compose-go's GetScale). */
export function serviceScale(service: ServiceConfig): number {
  return service.scale ?? service.deploy?.replicas ?? 1;
}

/** Whether a missing bind source is created (docker's default unless `bind.create_host_path: false`). */
export function createsHostPath(mount: VolumeMount): boolean {
  return mount.bind?.create_host_path !== false;
}

/** Whether the healthcheck (the image's included) is turned off. */
export function healthcheckDisabled(check: HealthCheck | undefined): boolean {
  return check?.disable === true || check?.test?.[0] === 'NONE';
}
