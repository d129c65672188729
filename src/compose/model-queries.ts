/** Small questions about the typed model, without loading the model's zod schemas. */
import type { HealthCheck, ServiceConfig } from './model.js';

/** How many containers the service runs: `scale`, else `deploy.replicas`, else 1 (compose-go's GetScale). */
export function serviceScale(service: ServiceConfig): number {
  return service.scale ?? service.deploy?.replicas ?? 1;
}

/** Whether the healthcheck (the image's included) is turned off. */
export function healthcheckDisabled(check: HealthCheck | undefined): boolean {
  return check?.disable === true || check?.test?.[0] === 'NONE';
}
