/**
 * Carries a Plan out (docker compose's executor.go): every operation once
 * the operations it depends on are done, independent ones at the same time.
 * The first failure fails the run, once every operation already under way has
 * settled; an operation whose dependency failed does not run. The executor
 * decides nothing: every decision is in the plan, and each operation type
 * maps to one function (executor-ops.ts) that makes the host's calls for it.
 */
import { TscComposeError } from '../errors/index.js';
import type { Operation, Plan } from '../plan/plan.js';
import * as ops from './executor-ops.js';
import type { Execution, ExecutorHost } from './executor-ops.js';

export type { Execution, ExecutorHost } from './executor-ops.js';

export async function executePlan(plan: Plan, host: ExecutorHost): Promise<void> {
  const execution: Execution = { host, created: new Map() };
  const byId = new Map(plan.operations.map((op) => [op.id, op]));
  const done = new Map<number, Promise<void>>();
  const run = (op: Operation): Promise<void> => {
    let p = done.get(op.id);
    if (!p) {
      p = (async () => {
        await Promise.all(op.dependsOn.map((d) => run(operation(byId, d, op))));
        await executeOperation(op, execution);
      })();
      done.set(op.id, p);
    }
    return p;
  };
  const results = await Promise.allSettled(plan.operations.map((op) => run(op)));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}

function operation(byId: Map<number, Operation>, id: number, dependent: Operation): Operation {
  const op = byId.get(id);
  if (!op) throw new TscComposeError('TSC_PLAN', `plan: #${dependent.id} depends on #${id}, which is not in the plan`);
  return op;
}

/** One operation, by its type. */
export async function executeOperation(op: Operation, execution: Execution): Promise<void> {
  const type = op.type;
  switch (type) {
    case 'CreateNetwork':
      return ops.createNetwork(op, execution);
    case 'RemoveNetwork':
      return ops.removeNetwork(op, execution);
    case 'RecreateNetwork':
      return ops.recreateNetwork(op, execution);
    case 'CreateVolume':
      return ops.createVolume(op, execution);
    case 'RemoveVolume':
      return ops.removeVolume(op, execution);
    case 'CreateContainer':
      return ops.createContainer(op, execution);
    case 'StartContainer':
      return ops.startContainer(op, execution);
    case 'StopContainer':
      return ops.stopContainer(op, execution);
    case 'RemoveContainer':
      return ops.removeContainer(op, execution);
    case 'RestartContainer':
      return ops.restartContainer(op, execution);
    case 'WaitDependency':
      return ops.waitDependency(op, execution);
    case 'RemoveImage':
      return ops.removeImage(op, execution);
    default: {
      const unknown: never = type;
      throw new TscComposeError('TSC_PLAN', `plan: unknown operation type ${String(unknown)} (#${op.id} ${op.resource})`);
    }
  }
}
