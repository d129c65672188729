/**
 * An isolated tsc-compose installation for end-to-end tests: its own state
 * root (so its own engine, started on first use by the CLI), the busybox test
 * image imported, DNS forwarding pointed at nothing (tests never query the
 * host's resolver), and a teardown that stops the engine and removes every
 * container, network, sandbox and file it made.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN } from './paths.js';
import { busyboxRootfsTar } from './busybox.js';
import { Runtime } from '../../src/runtime/container.js';
import { stateLayout } from '../../src/state/roots.js';
import { EngineStore } from '../../src/engine/state/store.js';
import { NetworkHost } from '../../src/network/host/index.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class EngineHarness {
  readonly root: string;
  readonly state: string;
  readonly projectDir: string;

  private constructor(prefix: string) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `tsc-cli-rt-${prefix}-`));
    this.state = path.join(this.root, 'state');
    this.projectDir = path.join(this.root, 'proj');
    fs.mkdirSync(this.projectDir);
  }

  static async create(prefix: string): Promise<EngineHarness> {
    const h = new EngineHarness(prefix);
    fs.writeFileSync(path.join(h.root, 'busybox.tar'), await busyboxRootfsTar());
    const r = h.cli(['image', 'import', '--change', 'CMD ["sh"]', path.join(h.root, 'busybox.tar'), 'busybox:test']);
    if (r.code !== 0) throw new Error(`image import failed: ${r.stderr}`);
    return h;
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: os.homedir(),
      TSC_COMPOSE_ROOT: this.state,
      TSC_COMPOSE_DNS_UPSTREAMS: '',
      TSC_COMPOSE_TIMELINE: '0',
      ...extra,
    };
  }

  writeCompose(text: string, file = 'compose.yaml'): void {
    fs.writeFileSync(path.join(this.projectDir, file), text);
  }

  cli(args: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): CliResult {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      cwd: this.projectDir,
      input: opts.input,
      encoding: 'utf8',
      env: this.env(opts.env),
      timeout: opts.timeoutMs ?? 120_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** For commands that run in the foreground (attached `up`): resolves when it exits. */
  cliAsync(args: string[], opts: { timeoutMs?: number; onStdout?: (text: string) => void } = {}): { done: Promise<CliResult>; kill: (signal: NodeJS.Signals) => void } {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: this.projectDir, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      opts.onStdout?.(c.toString());
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    const done = new Promise<CliResult>((resolve) =>
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      }),
    );
    return { done, kill: (signal) => child.kill(signal) };
  }

  ok(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): string {
    const r = this.cli(args, opts);
    if (r.code !== 0) throw new Error(`tsc-compose ${args.join(' ')} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  }

  ps(globalArgs: string[] = []): Array<Record<string, unknown> & { Name: string; Service: string; State: string; Health: string; ID: string; ExitCode: number; Pid: number; RestartCount: number }> {
    const out = this.ok([...globalArgs, 'ps', '-a', '--format', 'json']);
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as never);
  }

  enginePid(): number | undefined {
    const file = path.join(this.state, 'run', 'engine.pid');
    return fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8').trim()) : undefined;
  }

  runtime(): Runtime {
    return new Runtime(stateLayout({ dataRoot: this.state, runRoot: path.join(this.state, 'run') }));
  }

  /** Stops the engine (containers keep running), then removes everything this installation made. */
  async destroy(): Promise<void> {
    this.cli(['engine', 'stop'], { timeoutMs: 20_000 });
    const pid = this.enginePid();
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    const runtime = this.runtime();
    for (const c of runtime.list()) await runtime.remove(c.id).catch(() => undefined);
    const store = new EngineStore(path.join(this.state, 'engine', 'state'));
    const net = new NetworkHost();
    for (const c of store.containers.list()) await net.removeSandbox(c.id).catch(() => undefined);
    for (const c of runtime.list()) await net.removeSandbox(c.id).catch(() => undefined);
    for (const n of store.networks.list()) {
      await net.removeBridge({ bridge: n.bridge, subnet: n.ipam.subnet, gateway: n.ipam.gateway, internal: n.internal }).catch(() => undefined);
    }
    await net.close().catch(() => undefined);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}
