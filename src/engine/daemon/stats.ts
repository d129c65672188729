/** `stats`: cpu, memory and pids of running containers, from their cgroups. */
import type { Engine } from '../engine.js';

export interface ContainerStatsSample {
  ID: string;
  Name: string;
  Service: string;
  CPUUsageNs: number;
  MemoryBytes: number;
  MemoryLimitBytes: number | null;
  Pids: number;
  SampledAt: number;
}

export async function containerStats(engine: Engine, project: string | undefined): Promise<ContainerStatsSample[]> {
  const out: ContainerStatsSample[] = [];
  const runtime = engine.lifecycle.runtime;
  const records = project ? engine.store.containersOf(project) : engine.store.containers.list();
  for (const r of records) {
    if (!runtime.isRunning(r.id)) continue;
    try {
      const s = await runtime.cgroup(r.id).stats();
      out.push({
        ID: r.id,
        Name: r.name,
        Service: r.service,
        CPUUsageNs: s.cpuUsageNs,
        MemoryBytes: s.memoryBytes,
        MemoryLimitBytes: Number.isFinite(s.memoryLimitBytes) ? s.memoryLimitBytes : null,
        Pids: s.pids,
        SampledAt: Date.now(),
      });
    } catch {
      // exited meanwhile
    }
  }
  return out.sort((a, b) => a.Name.localeCompare(b.Name));
}
