/** Go-style durations as compose uses them (`1m30s`, `500ms`, `2h`), parsed and printed back. */

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds, or undefined when the text is not a duration. A bare number is seconds (compose-go). */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text * 1000 : undefined;
  const s = text.trim();
  if (s === '') return undefined;
  if (/^[-+]?\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let sign = 1;
  let rest = s;
  if (rest[0] === '-' || rest[0] === '+') {
    sign = rest[0] === '-' ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  let total = 0;
  let consumed = 0;
  re.lastIndex = 0;
  for (let m = re.exec(rest); m !== null; m = re.exec(rest)) {
    total += Number(m[1]) * (UNITS[m[2] as string] as number);
    consumed = re.lastIndex;
  }
  if (consumed !== rest.length || consumed === 0) return undefined;
  return sign * total;
}

/** time.Duration.String(): `1m30s`, `500ms`, `1.5s`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  let out: string;
  if (rest < 1000) {
    if (rest >= 1) out = `${trim(rest)}ms`;
    else if (rest >= 1e-3) out = `${trim(rest * 1000)}µs`;
    else out = `${trim(rest * 1e6)}ns`;
  } else {
    const h = Math.floor(rest / 3_600_000);
    rest -= h * 3_600_000;
    const m = Math.floor(rest / 60_000);
    rest -= m * 60_000;
    const sec = rest / 1000;
    out = `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${trim(sec)}s`;
  }
  return neg ? `-${out}` : out;
}

function trim(n: number): string {
  return String(Number(n.toFixed(9)));
}
