/**
 * The CLI's environment against the running engine's settings. An override
 * variable reaches only an engine started with it in its environment: set in
 * the CLI's shell while an engine already runs, it does nothing there, and
 * `up` would quietly use other settings than the shell asks for. One warning
 * per such variable says so and what to do.
 */
import { SETTING_VARIABLES, overrideText, overridesIn } from './environment.js';
import { valueFromEnvironment } from './settings.js';
import type { SettingEntry } from './settings.js';
import type { SettingsReport } from './load.js';

function describe(entry: SettingEntry): string {
  const value = JSON.stringify(entry.value);
  switch (entry.source) {
    case 'file':
      return `${entry.name} ${value} from ${entry.origin}`;
    case 'environment':
      return `${entry.name} ${value} from its own environment (${entry.origin})`;
    case 'default':
      return `${entry.name} ${value} (default)`;
    default: {
      const never: never = entry.source;
      throw new Error(`unknown setting source ${String(never)}`);
    }
  }
}

/** Warning texts (no prefix) for every override in `env` that the engine's settings do not match. */
export function settingsMismatches(env: NodeJS.ProcessEnv, report: SettingsReport): string[] {
  const out: string[] = [];
  for (const name of overridesIn(env)) {
    const entry = report.entries.find((e) => e.name === name);
    const text = overrideText(env, name);
    if (!entry || text === undefined) continue;
    const { value } = valueFromEnvironment(name, text);
    if (JSON.stringify(value) === JSON.stringify(entry.value)) continue;
    const variable = SETTING_VARIABLES[name].variable;
    // An engine's own variable wins over its file, and a variable-only setting has no key: only a restart changes those.
    const fix =
      entry.source === 'environment' || !entry.inFile
        ? `the engine reads ${variable} only at start: restart it with the variable set ('tsc-compose engine stop', then any command)`
        : `put it ${entry.source === 'file' ? 'there' : `in ${report.file}`} and run 'tsc-compose engine reload'`;
    out.push(`${variable} is set here but the running engine uses ${describe(entry)}: ${fix}`);
  }
  return out;
}
