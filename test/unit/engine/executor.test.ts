/** The plan executor against a fake host that records every call: dispatch per operation type, DAG order, parallelism, failures. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { executePlan } from '../../../src/engine/executor.js';
import type { ExecutorHost } from '../../../src/engine/executor.js';
import { PlanBuilder, planDown, reconcile } from '../../../src/plan/plan.js';
import type { Operation, OperationType, Plan, WaitCondition } from '../../../src/plan/plan.js';
import type { StreamMessage } from '../../../src/engine/api/protocol.js';
import { TscComposeError } from '../../../src/errors/index.js';
import { container, converged, dep, desiredOf, service } from '../../support/plan-builders.js';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Records each host call as one line; a call can be held (`hold`) until the test releases it, or made to fail (`fail`). */
class FakeHost implements ExecutorHost {
  readonly calls: string[] = [];
  readonly messages: StreamMessage[] = [];
  readonly held = new Map<string, Deferred>();
  readonly failures = new Map<string, Error>();
  readonly startWarnings = new Map<string, string[]>();
  private nextId = 1;

  /** The next call recorded as `call` waits until the returned deferred settles. */
  hold(call: string): Deferred {
    const d = deferred();
    this.held.set(call, d);
    return d;
  }

  fail(call: string, err: Error): void {
    this.failures.set(call, err);
  }

  private async record(call: string): Promise<void> {
    this.calls.push(call);
    const failure = this.failures.get(call);
    if (failure) throw failure;
    await this.held.get(call)?.promise;
    this.calls.push(`${call} done`);
  }

  readonly emit = (message: StreamMessage): void => {
    this.messages.push(message);
  };

  readonly networks: ExecutorHost['networks'] = {
    create: (name) => this.record(`network create ${name}`),
    remove: (name) => this.record(`network remove ${name}`),
  };

  readonly volumes: ExecutorHost['volumes'] = {
    create: (name) => this.record(`volume create ${name}`),
    remove: (name) => this.record(`volume remove ${name}`),
  };

  readonly images: ExecutorHost['images'] = {
    remove: (reference) => this.record(`image remove ${reference}`),
  };

  readonly containers: ExecutorHost['containers'] = {
    create: async ({ service: s, number }) => {
      const id = `new${this.nextId++}`;
      await this.record(`container create ${s} ${number} -> ${id}`);
      return { id };
    },
    start: async (id) => {
      await this.record(`container start ${id}`);
      return { warnings: this.startWarnings.get(id) ?? [] };
    },
    stop: (id, timeoutS) => this.record(`container stop ${id} timeout=${timeoutS ?? 'default'}`),
    remove: (id) => this.record(`container remove ${id}`),
    restart: (id, timeoutS) => this.record(`container restart ${id} timeout=${timeoutS ?? 'default'}`),
  };

  waitForCondition(waiter: string | undefined, condition: WaitCondition): Promise<void> {
    return this.record(`wait ${waiter ?? '-'} for ${condition.service} ${condition.condition}${condition.required ? '' : ' optional'}`);
  }

  /** The calls made, without their completions. */
  started(): string[] {
    return this.calls.filter((c) => !c.endsWith(' done'));
  }

  progressOf(id: string): string[] {
    return this.messages.flatMap((m) => (m.type === 'progress' && m.event.id === id ? [`${m.event.status} ${m.event.text}`] : []));
  }
}

/** Lets every promise callback that can run, run (the executor's chains settle without any timer). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function planOf(ops: Array<Omit<Operation, 'id'>>): Plan {
  const b = new PlanBuilder();
  for (const op of ops) b.add(op);
  return b.build();
}

const base = { cause: 'test', dependsOn: [] as number[] };

describe('executor: one host call per operation type', () => {
  // A Record over OperationType: a type added to the plan without a line here does not compile.
  const cases: Record<OperationType, { op: Omit<Operation, 'id'>; calls: string[] }> = {
    CreateNetwork: { op: { ...base, type: 'CreateNetwork', resource: 'network:proj_default', name: 'proj_default' }, calls: ['network create proj_default'] },
    RemoveNetwork: { op: { ...base, type: 'RemoveNetwork', resource: 'network:proj_default', name: 'proj_default' }, calls: ['network remove proj_default'] },
    RecreateNetwork: { op: { ...base, type: 'RecreateNetwork', resource: 'network:proj_default', name: 'proj_default' }, calls: ['network remove proj_default', 'network create proj_default'] },
    CreateVolume: { op: { ...base, type: 'CreateVolume', resource: 'volume:proj_data', name: 'proj_data' }, calls: ['volume create proj_data'] },
    RemoveVolume: { op: { ...base, type: 'RemoveVolume', resource: 'volume:proj_data', name: 'proj_data' }, calls: ['volume remove proj_data'] },
    CreateContainer: { op: { ...base, type: 'CreateContainer', resource: 'service:web:2', service: 'web', number: 2, containerName: 'proj-web-2' }, calls: ['container create web 2 -> new1'] },
    StartContainer: { op: { ...base, type: 'StartContainer', resource: 'service:web:1', service: 'web', number: 1, containerId: 'c1', containerName: 'proj-web-1' }, calls: ['container start c1'] },
    StopContainer: { op: { ...base, type: 'StopContainer', resource: 'service:web:1', containerId: 'c1', containerName: 'proj-web-1', timeoutS: 4 }, calls: ['container stop c1 timeout=4'] },
    RemoveContainer: { op: { ...base, type: 'RemoveContainer', resource: 'service:web:1', containerId: 'c1', containerName: 'proj-web-1' }, calls: ['container remove c1'] },
    RestartContainer: { op: { ...base, type: 'RestartContainer', resource: 'service:web:1', containerId: 'c1', containerName: 'proj-web-1', timeoutS: 7 }, calls: ['container restart c1 timeout=7'] },
    WaitDependency: {
      op: { ...base, type: 'WaitDependency', resource: 'service:web', service: 'web', condition: { service: 'db', condition: 'service_healthy', required: false } },
      calls: ['wait web for db service_healthy optional'],
    },
    RemoveImage: { op: { ...base, type: 'RemoveImage', resource: 'image:web:1', name: 'web:1' }, calls: ['image remove web:1'] },
  };

  for (const [type, { op, calls }] of Object.entries(cases)) {
    it(`${type} → ${calls.join(', ')}`, async () => {
      const host = new FakeHost();
      await executePlan(planOf([op]), host);
      assert.deepEqual(host.started(), calls);
    });
  }

  it('reports progress rows per resource, as compose names them', async () => {
    const host = new FakeHost();
    await executePlan(planOf([cases.CreateNetwork.op, cases.StopContainer.op, cases.RemoveVolume.op, cases.RemoveImage.op, { ...cases.RestartContainer.op, dependsOn: [2] }]), host);
    assert.deepEqual(host.progressOf('Network proj_default'), ['working Creating', 'done Created']);
    assert.deepEqual(host.progressOf('Container proj-web-1'), ['working Stopping', 'done Stopped', 'working Restarting', 'done Restarted']);
    assert.deepEqual(host.progressOf('Volume proj_data'), ['working Removing', 'done Removed']);
    assert.deepEqual(host.progressOf('Image web:1'), ['working Removing', 'done Removed']);
  });

  it("a start's warnings reach the caller, naming the container", async () => {
    const host = new FakeHost();
    host.startWarnings.set('c1', ['memory limit ignored']);
    await executePlan(planOf([cases.StartContainer.op]), host);
    assert.deepEqual(
      host.messages.filter((m) => m.type === 'warning'),
      [{ type: 'warning', message: 'proj-web-1: memory limit ignored' }],
    );
  });

  it('starts the container the same plan created for that resource', async () => {
    const host = new FakeHost();
    const plan = planOf([
      { ...base, type: 'CreateContainer', resource: 'service:web:1', service: 'web', number: 1, containerName: 'proj-web-1' },
      { ...base, type: 'StartContainer', resource: 'service:web:1', service: 'web', number: 1, containerName: 'proj-web-1', dependsOn: [1] },
    ]);
    await executePlan(plan, host);
    assert.deepEqual(host.started(), ['container create web 1 -> new1', 'container start new1']);
  });

  it('an unknown operation type fails the run as a plan error (the never check)', async () => {
    const host = new FakeHost();
    const bogus = { ...base, type: 'RenameContainer' as unknown as OperationType, resource: 'service:web:1', containerId: 'c1' };
    await assert.rejects(executePlan(planOf([bogus]), host), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_PLAN' && /unknown operation type RenameContainer/.test(e.message));
    assert.deepEqual(host.calls, []);
  });

  it('an operation without what it acts on fails as a plan error, calling nothing', async () => {
    const host = new FakeHost();
    const noContainer = { ...base, type: 'StartContainer' as const, resource: 'service:web:1', service: 'web' };
    await assert.rejects(executePlan(planOf([noContainer]), host), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_PLAN' && /no container for service:web:1/.test(e.message));
    const noCondition = { ...base, type: 'WaitDependency' as const, resource: 'service:web', service: 'web' };
    await assert.rejects(executePlan(planOf([noCondition]), host), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_PLAN');
    const noName = { ...base, type: 'RemoveVolume' as const, resource: 'volume:x' };
    await assert.rejects(executePlan(planOf([noName]), host), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_PLAN');
    assert.deepEqual(host.calls, []);
  });
});

describe('executor: the DAG', () => {
  it('runs an operation only once its dependencies are done, independent ones at the same time', async () => {
    const host = new FakeHost();
    const db = host.hold('container create db 1 -> new1');
    const cache = host.hold('container create cache 1 -> new2');
    const plan = planOf([
      { ...base, type: 'CreateContainer', resource: 'service:db:1', service: 'db', number: 1 },
      { ...base, type: 'CreateContainer', resource: 'service:cache:1', service: 'cache', number: 1 },
      { ...base, type: 'StartContainer', resource: 'service:db:1', service: 'db', number: 1, dependsOn: [1] },
      { ...base, type: 'WaitDependency', resource: 'service:web', service: 'web', condition: { service: 'db', condition: 'service_started', required: true }, dependsOn: [3] },
      { ...base, type: 'CreateContainer', resource: 'service:web:1', service: 'web', number: 1, dependsOn: [2, 4] },
    ]);
    const run = executePlan(plan, host);
    await settle();
    // Both creates are under way together; nothing that depends on them has started.
    assert.deepEqual(host.started(), ['container create db 1 -> new1', 'container create cache 1 -> new2']);
    db.resolve();
    await settle();
    assert.deepEqual(host.started(), ['container create db 1 -> new1', 'container create cache 1 -> new2', 'container start new1', 'wait web for db service_started']);
    // web waits for cache too.
    assert.equal(host.calls.includes('container create web 1 -> new3'), false);
    cache.resolve();
    await run;
    assert.deepEqual(host.started().slice(-1), ['container create web 1 -> new3']);
  });

  it('runs each operation once, also when several depend on it', async () => {
    const host = new FakeHost();
    const plan = planOf([
      { ...base, type: 'CreateNetwork', resource: 'network:n', name: 'n' },
      { ...base, type: 'CreateVolume', resource: 'volume:a', name: 'a', dependsOn: [1] },
      { ...base, type: 'CreateVolume', resource: 'volume:b', name: 'b', dependsOn: [1] },
      { ...base, type: 'RemoveImage', resource: 'image:i', name: 'i', dependsOn: [1, 2, 3] },
    ]);
    await executePlan(plan, host);
    assert.deepEqual(host.started(), ['network create n', 'volume create a', 'volume create b', 'image remove i']);
  });

  it('the first failure fails the run once what is under way settled; its dependents never run, independent ones do', async () => {
    const host = new FakeHost();
    const boom = new TscComposeError('TSC_NETWORK_IN_USE', 'network n is in use by x');
    host.fail('network remove n', boom);
    const slow = host.hold('volume remove v');
    const plan = planOf([
      { ...base, type: 'RemoveNetwork', resource: 'network:n', name: 'n' },
      { ...base, type: 'RemoveVolume', resource: 'volume:v', name: 'v' },
      { ...base, type: 'RemoveImage', resource: 'image:i', name: 'i', dependsOn: [1] },
      { ...base, type: 'RemoveVolume', resource: 'volume:w', name: 'w', dependsOn: [2] },
    ]);
    let outcome: unknown = 'pending';
    const run = executePlan(plan, host).then(
      () => 'resolved',
      (err: unknown) => err,
    );
    void run.then((o) => {
      outcome = o;
    });
    await settle();
    // The failure is known, but the volume removal under way (and what follows it) still runs to its end first.
    assert.equal(outcome, 'pending');
    slow.resolve();
    assert.equal(await run, boom);
    assert.deepEqual(host.started(), ['network remove n', 'volume remove v', 'volume remove w']);
    assert.deepEqual(host.progressOf('Image i'), []);
    // The failed resource's row ends in Error with the reason, as compose shows it.
    assert.deepEqual(host.progressOf('Network n'), ['working Removing', 'error Error']);
    const last = host.messages.filter((m) => m.type === 'progress' && m.event.id === 'Network n').at(-1);
    assert.equal(last?.type === 'progress' ? last.event.details : undefined, 'network n is in use by x');
  });

  it('an empty plan calls nothing', async () => {
    const host = new FakeHost();
    await executePlan(planOf([]), host);
    assert.deepEqual(host.calls, []);
  });
});

describe('executor: plans as the planner makes them', () => {
  it('down -v: containers stopped and removed, then the network and the volumes are removed', async () => {
    const db = service('db', { volumes: ['proj_data'] });
    const web = service('web', { dependsOn: { db: dep() } });
    const desired = desiredOf([web, db]);
    const observed = converged(desired, { volumes: [{ name: 'proj_data' }, { name: 'proj-anon-db10000000000-0' }] });
    const host = new FakeHost();
    await executePlan(planDown('proj', observed, { volumes: true, removeOrphans: false, desired, timeoutS: 2 }), host);
    const web1 = container(web, 1).id;
    const db1 = container(db, 1).id;
    assert.deepEqual(host.started(), [
      `container stop ${web1} timeout=2`,
      `container remove ${web1}`,
      `container stop ${db1} timeout=2`,
      `container remove ${db1}`,
      'network remove proj_default',
      'volume remove proj_data',
      'volume remove proj-anon-db10000000000-0',
    ]);
  });

  it('up -t 3: the recreated dependency stops with 3 s, and so does the restart of its restart: true dependent', async () => {
    const db = service('db', { hasHealthcheck: true });
    const web = service('web', { dependsOn: { db: dep('service_healthy', { restart: true }) } });
    const desired = desiredOf([web, db]);
    const observed = converged(desired, { containers: [container(db, 1, { configHash: 'old' }), container(web, 1)] });
    const plan = reconcile(desired, observed, { recreate: 'diverged', removeOrphans: false, timeoutS: 3 });
    const host = new FakeHost();
    await executePlan(plan, host);
    const db1 = container(db, 1).id;
    const web1 = container(web, 1).id;
    assert.deepEqual(host.started(), [
      `container stop ${db1} timeout=3`,
      `container remove ${db1}`,
      'container create db 1 -> new1',
      'container start new1',
      'wait web for db service_healthy',
      `container restart ${web1} timeout=3`,
    ]);
  });

  it('up without -t: stops and restarts keep each container its own grace period', async () => {
    const db = service('db');
    const web = service('web', { dependsOn: { db: dep('service_started', { restart: true }) } });
    const desired = desiredOf([web, db]);
    const observed = converged(desired, { containers: [container(db, 1, { configHash: 'old' }), container(web, 1)] });
    const host = new FakeHost();
    await executePlan(reconcile(desired, observed, { recreate: 'diverged', removeOrphans: false }), host);
    assert.deepEqual(
      host.started().filter((c) => c.startsWith('container stop') || c.startsWith('container restart')),
      [`container stop ${container(db, 1).id} timeout=default`, `container restart ${container(web, 1).id} timeout=default`],
    );
  });
});
