/**
 * What the compose commands share: the project from the files (or only its
 * name, for commands that need no file), the engine connection, and running
 * a streamed engine operation with the progress display the user chose.
 */
import { loadFromCli } from './load.js';
import type { GlobalOptions } from './global-options.js';
import type { CommandIO } from './command.js';
import { EngineClient } from './engine-client.js';
import type { ActionRequest, ContainerSummary, ProjectRef, StreamMessage } from '../engine/api/protocol.js';
import { printWarnings } from '../ui/warnings.js';
import { createProgress } from '../ui/progress/select.js';
import { renderTimeline, timelineReport } from '../ui/timeline.js';
import type { TimelineEntry } from '../ui/timeline.js';
import type { ProgressEvent } from '../events/progress.js';
import { TscComposeError } from '../errors/index.js';
import { progressMode, useColor } from './terminal.js';
import { orphanContainers } from './selection.js';

export async function loadProjectRef(global: GlobalOptions, io: CommandIO, services: string[] = []): Promise<ProjectRef> {
  const loaded = await loadFromCli(global, services.length > 0 ? { services } : {});
  printWarnings(loaded.warnings, io.stderr);
  for (const s of services) {
    if (!loaded.project.services[s]) throw noSuchService(s);
  }
  // `environment:` secrets and configs take their value from the CLI's environment (the engine has its own).
  for (const section of [loaded.project.secrets, loaded.project.configs]) {
    for (const def of Object.values(section ?? {})) {
      if (def.environment !== undefined && def.content === undefined) {
        const value = loaded.options.environment.get(def.environment);
        if (value !== undefined) def.content = value;
      }
    }
  }
  return { project: loaded.project, workingDir: loaded.options.workingDir, configFiles: loaded.options.configFiles, disabledServices: loaded.disabledServices };
}

/**
 * The project name for commands that can work without a compose file
 * (`ps`, `logs`, `down -p NAME`, ...): from the files when there are some,
 * else from -p / COMPOSE_PROJECT_NAME.
 */
export async function projectNameOnly(global: GlobalOptions, io: CommandIO): Promise<ProjectTarget> {
  try {
    const ref = await loadProjectRef(global, io);
    return { name: ref.project.name, ref };
  } catch (err) {
    const explicit = global.projectName ?? process.env['COMPOSE_PROJECT_NAME'];
    // No file (or one it refers to is missing): the name is enough. An unknown service is not a missing file.
    if (explicit && err instanceof TscComposeError && err.category === 'not-found' && err.code !== 'TSC_NO_SUCH_SERVICE') return { name: explicit };
    throw err;
  }
}

export interface ProjectTarget {
  name: string;
  /** The compose file's project, when there is one. */
  ref?: ProjectRef | undefined;
}

/**
 * Every service a command names exists, or `no such service: X` (exit 1), as
 * docker compose says it. The compose file decides when there is one (a
 * service of a profile not enabled counts); without one (`-p NAME`), the
 * services the engine has containers of. `containerNames` also takes the
 * names of the project's containers (`rm` of a `run --name` one-off). The
 * engine is asked only when the file cannot answer.
 */
export async function checkServices(target: ProjectTarget, services: readonly string[], opts: { containerNames?: boolean } = {}): Promise<void> {
  const inFile = (s: string): boolean => target.ref !== undefined && (Object.hasOwn(target.ref.project.services, s) || (target.ref.disabledServices ?? []).includes(s));
  const rest = services.filter((s) => !inFile(s));
  if (rest.length === 0) return;
  if (target.ref && !opts.containerNames) throw noSuchService(rest[0] as string);
  const containers = await withEngine((client) => client.json<ContainerSummary[]>('GET', `/v1/ps?project=${encodeURIComponent(target.name)}&all=1`));
  const known = new Set([...(target.ref ? [] : containers.map((c) => c.Service)), ...(opts.containerNames ? containers.map((c) => c.Name) : [])]);
  const unknown = rest.find((s) => !known.has(s));
  if (unknown !== undefined) throw noSuchService(unknown);
}

export function noSuchService(name: string): TscComposeError {
  return new TscComposeError('TSC_NO_SUCH_SERVICE', `no such service: ${name}`, { service: name });
}

export async function withEngine<T>(work: (client: EngineClient) => Promise<T>): Promise<T> {
  const client = await EngineClient.connect();
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

export interface StreamedOptions {
  title: string;
  /** Called for messages the progress display does not handle (logs, plans). */
  onMessage?: (message: StreamMessage) => void;
  showTimeline?: boolean;
  /** Progress rows left out of the display (`--quiet-pull`: the pulls). */
  hideProgress?: (event: ProgressEvent) => boolean;
}

/** A row of an image pull, or one of its layers (`Image busybox:1`, and the rows under it). */
export function isPullProgress(event: ProgressEvent): boolean {
  return event.id.startsWith('Image ') || (event.parentId?.startsWith('Image ') ?? false);
}

/** Runs a streamed engine operation with the chosen progress display; returns its result. */
export async function runStreamed(client: EngineClient, urlPath: string, body: unknown, global: GlobalOptions, io: CommandIO, opts: StreamedOptions): Promise<unknown> {
  const out = io.stderr as NodeJS.WriteStream;
  const display = createProgress(progressMode(global, out), out, { color: useColor(global, out) });
  display.start(opts.title);
  let result: unknown;
  let timeline: TimelineEntry[] | undefined;
  const warnings: string[] = [];
  try {
    for await (const m of client.stream('POST', urlPath, body)) {
      if (m.type === 'progress') {
        if (!opts.hideProgress?.(m.event)) display.on(m.event);
      }
      else if (m.type === 'warning') warnings.push(m.message);
      else if (m.type === 'timeline') timeline = m.entries;
      else if (m.type === 'result') result = m.value;
      else opts.onMessage?.(m);
    }
  } catch (err) {
    display.done(err as Error);
    printWarnings(warnings, io.stderr);
    throw err;
  }
  display.done();
  printWarnings(warnings, io.stderr);
  if (opts.showTimeline && timeline && timeline.length > 0 && global.progress !== 'quiet') {
    if (global.progress === 'json') io.stderr.write(`${JSON.stringify({ timeline: timelineReport(timeline) })}\n`);
    else if (process.env['TSC_COMPOSE_TIMELINE'] !== '0') io.stderr.write(renderTimeline(timeline, { color: useColor(global, out) }));
  }
  return result;
}

/** `--remove-orphans` of kill and down: the containers of services the file no longer has are stopped and removed. */
export async function removeOrphans(client: EngineClient, target: ProjectTarget, timeoutS: number | undefined, global: GlobalOptions, io: CommandIO): Promise<void> {
  const ref = target.ref;
  if (!ref) return;
  const all = await client.json<ContainerSummary[]>('GET', `/v1/ps?project=${encodeURIComponent(target.name)}&all=1`);
  const orphans = orphanContainers(all, ref.project, ref.disabledServices);
  if (orphans.length === 0) return;
  const request: ActionRequest = { projectName: target.name, services: orphans.map((c) => c.Name), action: 'rm', stopFirst: true, timeoutS };
  await runStreamed(client, '/v1/action', request, global, io, { title: 'Removing orphans' });
}
