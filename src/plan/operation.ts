/**
 * The plan's vocabulary: one operation per engine action, each with its
 * cause and the operations it waits for (a DAG, ids in topological order).
 * The text form is docker compose's plan.go one: `[1,2] -> #3 resource, Type, cause`.
 *
 * There is no RenameContainer (compose has one): compose creates the
 * replacement under a temporary name before it removes the old container;
 * here the old one is removed first and the new one takes its name directly.
 */
import type { DependencyCondition } from './desired.js';

export type OperationType =
  | 'CreateNetwork'
  | 'RemoveNetwork'
  | 'RecreateNetwork'
  | 'CreateVolume'
  | 'RemoveVolume'
  | 'CreateContainer'
  | 'StartContainer'
  | 'StopContainer'
  | 'RemoveContainer'
  | 'RestartContainer'
  | 'WaitDependency'
  | 'RemoveImage';

export interface WaitCondition {
  /** The dependency waited for. */
  service: string;
  condition: DependencyCondition;
  /** false: a dependency that has no container is skipped, not an error. */
  required: boolean;
}

export interface Operation {
  /** 1-based; an operation only depends on smaller ids. */
  id: number;
  type: OperationType;
  /** 'service:web:1', 'network:proj_default', 'volume:proj_data', 'image:<reference>', 'container:<name>' (one-off). */
  resource: string;
  /** The service of the container; for WaitDependency the service that waits. */
  service?: string | undefined;
  number?: number | undefined;
  containerName?: string | undefined;
  /** The existing container acted on (stop, remove, start, restart); absent for a container this plan creates. */
  containerId?: string | undefined;
  /** Network or volume full name, for network and volume operations; the image reference for RemoveImage. */
  name?: string | undefined;
  cause: string;
  dependsOn: number[];
  /** WaitDependency: what is waited for. */
  condition?: WaitCondition | undefined;
  /** StopContainer/RestartContainer: grace period before SIGKILL, when given. */
  timeoutS?: number | undefined;
}

export interface Plan {
  operations: Operation[];
  /** Containers of services that are not in the file any more (removed only with removeOrphans). */
  orphans: Array<{ id: string; name: string; service: string }>;
  /** What the plan leaves alone although it was asked to act on it, and why (shown to the user as warnings). */
  warnings: string[];
  /** One line per operation, as docker compose's Plan.String(). */
  toString(): string;
  isEmpty(): boolean;
}

export function formatOperation(op: Operation): string {
  const deps = [...op.dependsOn].sort((a, b) => a - b).join(',');
  return `[${deps}] -> #${op.id} ${op.resource}, ${op.type}, ${op.cause}`;
}

export function formatPlan(operations: readonly Operation[]): string {
  return operations.map(formatOperation).join('\n');
}

/** Accumulates operations, numbering them and dropping duplicate dependency edges. */
export class PlanBuilder {
  readonly operations: Operation[] = [];

  add(op: Omit<Operation, 'id'>): Operation {
    const full: Operation = { ...op, dependsOn: [...new Set(op.dependsOn)], id: this.operations.length + 1 };
    for (const key of Object.keys(full) as Array<keyof Operation>) if (full[key] === undefined) delete full[key];
    this.operations.push(full);
    return full;
  }

  build(orphans: Plan['orphans'] = [], warnings: string[] = []): Plan {
    const operations = this.operations;
    return {
      operations,
      orphans,
      warnings,
      toString: () => formatPlan(operations),
      isEmpty: () => operations.length === 0,
    };
  }
}
