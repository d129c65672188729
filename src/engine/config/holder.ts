/**
 * The engine's settings across reloads. Loaded once at start (a bad file
 * stops the start), again on `engine reload` and SIGHUP: a reload that fails
 * changes nothing and is remembered for `engine status`. Readers take
 * `current` at the start of each operation, so a reload reaches the next
 * pull, the next network and the next container, never one half done.
 */
import { problemLines } from './load.js';
import type { LoadedSettings, SettingsReport } from './load.js';
import type { EngineSettings, SettingName } from './settings.js';

export interface ReloadResult {
  report: SettingsReport;
  /** Settings whose value or source differs from before. */
  changed: SettingName[];
}

export class EngineSettingsHolder {
  private loaded: LoadedSettings;
  private lastReloadError: SettingsReport['lastReloadError'];

  /**
   * `load` reads the configuration (throws on any problem); `applied` is told
   * of every successful reload, for the parts that hold a setting themselves
   * (the DNS server's forwarders).
   */
  constructor(
    private readonly load: () => LoadedSettings,
    private readonly applied: (settings: EngineSettings) => void = () => undefined,
  ) {
    this.loaded = load();
  }

  get current(): EngineSettings {
    return this.loaded.settings;
  }

  report(): SettingsReport {
    return { ...this.loaded.report, ...(this.lastReloadError ? { lastReloadError: this.lastReloadError } : {}) };
  }

  /** Reads the configuration again; on failure throws and the settings in force stay. */
  reload(): ReloadResult {
    let next: LoadedSettings;
    try {
      next = this.load();
    } catch (err) {
      this.lastReloadError = { at: new Date().toISOString(), problems: problemLines(err) };
      throw err;
    }
    const before = new Map(this.loaded.report.entries.map((e) => [e.name, JSON.stringify([e.value, e.source, e.origin])]));
    const changed = next.report.entries.filter((e) => before.get(e.name) !== JSON.stringify([e.value, e.source, e.origin])).map((e) => e.name);
    this.loaded = next;
    this.lastReloadError = undefined;
    this.applied(next.settings);
    return { report: this.report(), changed };
  }
}
