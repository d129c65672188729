/**
 * What the compose commands share: the project from the files (or only its
 * name, for commands that need no file), the engine connection, and running
 * a streamed engine operation with the progress display the user chose.
 */
import { loadFromCli } from './load.js';
import type { GlobalOptions } from './global-options.js';
import type { CommandIO } from './command.js';
import { EngineClient } from './engine-client.js';
import type { ProjectRef, StreamMessage } from '../engine/api/protocol.js';
import { printWarnings } from '../ui/warnings.js';
import { createProgress } from '../ui/progress/select.js';
import { renderTimeline } from '../ui/timeline.js';
import type { TimelineEntry } from '../ui/timeline.js';
import { TscComposeError } from '../errors/index.js';

export async function loadProjectRef(global: GlobalOptions, io: CommandIO, services: string[] = []): Promise<ProjectRef> {
  const loaded = await loadFromCli(global, services.length > 0 ? { services } : {});
  printWarnings(loaded.warnings, io.stderr);
  for (const s of services) {
    if (!loaded.project.services[s]) throw new TscComposeError('TSC_NO_SUCH_SERVICE', `no such service: ${s}`);
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
export async function projectNameOnly(global: GlobalOptions, io: CommandIO): Promise<{ name: string; ref?: ProjectRef }> {
  try {
    const ref = await loadProjectRef(global, io);
    return { name: ref.project.name, ref };
  } catch (err) {
    const explicit = global.projectName ?? process.env['COMPOSE_PROJECT_NAME'];
    if (explicit && err instanceof TscComposeError && err.code === 'TSC_FILE_NOT_FOUND') return { name: explicit };
    if (explicit && err instanceof TscComposeError && err.category === 'not-found') return { name: explicit };
    throw err;
  }
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
}

/** Runs a streamed engine operation with the chosen progress display; returns its result. */
export async function runStreamed(client: EngineClient, urlPath: string, body: unknown, global: GlobalOptions, io: CommandIO, opts: StreamedOptions): Promise<unknown> {
  const out = io.stderr as NodeJS.WriteStream;
  const display = createProgress(global.progress, out, { color: global.ansi === 'always' || (global.ansi === 'auto' && out.isTTY === true && !process.env['NO_COLOR']) });
  display.start(opts.title);
  let result: unknown;
  let timeline: TimelineEntry[] | undefined;
  const warnings: string[] = [];
  try {
    for await (const m of client.stream('POST', urlPath, body)) {
      if (m.type === 'progress') display.on(m.event);
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
    if (global.progress === 'json') io.stderr.write(`${JSON.stringify({ timeline })}\n`);
    else if (process.env['TSC_COMPOSE_TIMELINE'] !== '0') io.stderr.write(renderTimeline(timeline, { color: out.isTTY === true }));
  }
  return result;
}
