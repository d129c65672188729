/** Runs a health probe inside the container (its user, env and working directory), output captured, killed at the timeout. */
import type { Runtime } from '../../runtime/container.js';
import { execInContainer } from '../../runtime/process/exec.js';
import { capabilityNamesOf, capabilitySets } from '../../runtime/process/spec.js';
import type { HealthProbe } from './healthcheck.js';

const MAX_OUTPUT = 4096;

export function execProbe(runtime: Runtime, containerId: string): HealthProbe {
  return async (args, timeoutMs, signal) => {
    const config = runtime.readConfig(containerId);
    const state = runtime.state(containerId);
    if (!config || !state || !runtime.isRunning(containerId)) return { exitCode: -1, output: 'container is not running' };
    const timeout = AbortSignal.timeout(timeoutMs);
    const both = AbortSignal.any([signal, timeout]);
    const result = await execInContainer(
      {
        pid: state.pid,
        cgroupProcs: runtime.cgroup(containerId).paths(),
        capabilities: capabilitySets(capabilityNamesOf(config.capabilities)),
        noNewPrivileges: config.noNewPrivileges,
        user: config.user,
        cwd: config.cwd,
        env: config.env,
        args,
      },
      { stateDir: runtime.paths(containerId).runDir, stdio: 'pipe', signal: both },
    );
    if (timeout.aborted) return { exitCode: -1, output: `Health check exceeded timeout (${timeoutMs / 1000}s)` };
    const output = Buffer.concat([result.stdout, result.stderr]).toString('utf8');
    return { exitCode: result.exitCode, output: output.length > MAX_OUTPUT ? output.slice(0, MAX_OUTPUT) : output };
  };
}
