/**
 * The probe that runs a health check inside the container, as Docker's exec
 * probe does: the container's user, environment and working directory, no
 * terminal and no stdin, stdout and stderr captured together, killed at the
 * timeout.
 */
import type { Runtime } from '../../runtime/container.js';
import type { HealthProbe } from './healthcheck.js';
import { HEALTH_OUTPUT_LIMIT } from './monitor.js';

export function execProbe(runtime: Runtime, containerId: string): HealthProbe {
  return async (args, timeoutMs, signal) => {
    const result = await runtime.execCapture(containerId, { args, timeoutMs, signal, maxOutputBytes: HEALTH_OUTPUT_LIMIT });
    return { exitCode: result.timedOut ? -1 : result.exitCode, output: result.output, timedOut: result.timedOut, truncated: result.truncated };
  };
}
