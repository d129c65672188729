/**
 * Durations as compose writes and prints them. Parsing follows compose-go
 * (str2duration: Go's `time.ParseDuration` plus `d` and `w`), printing follows
 * Go's `time.Duration.String()` (`1m30s`, `1.5s`, `500ms`, `2h0m0s`, `0s`).
 * Nanoseconds are kept as bigint so printing is exact over the whole int64 range.
 */

const NS_PER: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};

const MAX_NS = (1n << 63n) - 1n;

export type DurationParse = { ok: true; nanoseconds: bigint } | { ok: false; error: string };

/** compose-go's duration grammar: `[-+]?(\d*(\.\d*)?unit)+` or a lone `0`; errors in Go's wording. */
export function parseGoDuration(text: string): DurationParse {
  const quoted = `"${text}"`;
  const invalid: DurationParse = { ok: false, error: `time: invalid duration ${quoted}` };
  let s = text;
  let negative = false;
  if (s[0] === '-' || s[0] === '+') {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return { ok: true, nanoseconds: 0n };
  if (s === '') return invalid;
  let total = 0n;
  while (s !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(s) as RegExpExecArray;
    const whole = number[1] as string;
    const fraction = number[2];
    if (whole === '' && (fraction === undefined || fraction === '')) return invalid;
    s = s.slice(number[0].length);
    const unitMatch = /^[^\d.]+/.exec(s);
    if (!unitMatch) return { ok: false, error: `time: missing unit in duration ${quoted}` };
    const unitName = unitMatch[0];
    const unit = NS_PER[unitName];
    if (unit === undefined) return { ok: false, error: `time: unknown unit "${unitName}" in duration ${quoted}` };
    s = s.slice(unitName.length);
    let value = (whole === '' ? 0n : BigInt(whole)) * unit;
    if (fraction) value += (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
    total += value;
    if (total > MAX_NS) return invalid;
  }
  return { ok: true, nanoseconds: negative ? -total : total };
}

/** Go's `time.Duration.String()`. */
export function formatGoDuration(nanoseconds: bigint): string {
  if (nanoseconds === 0n) return '0s';
  const negative = nanoseconds < 0n;
  const u = negative ? -nanoseconds : nanoseconds;
  let out: string;
  if (u < 1_000_000_000n) {
    // Below a second Go switches to the largest unit that keeps an integer part.
    if (u < 1_000n) out = `${u}ns`;
    else if (u < 1_000_000n) out = `${withFraction(u, 3)}µs`;
    else out = `${withFraction(u, 6)}ms`;
  } else {
    const totalSeconds = u / 1_000_000_000n;
    const seconds = `${totalSeconds % 60n}${fractionDigits(u % 1_000_000_000n, 9)}s`;
    const totalMinutes = totalSeconds / 60n;
    if (totalMinutes === 0n) out = seconds;
    else {
      const hours = totalMinutes / 60n;
      out = `${hours > 0n ? `${hours}h` : ''}${totalMinutes % 60n}m${seconds}`;
    }
  }
  return negative ? `-${out}` : out;
}

/** `value / 10^precision` with the fraction's trailing zeros (and a bare point) dropped. */
function withFraction(value: bigint, precision: number): string {
  const scale = 10n ** BigInt(precision);
  return `${value / scale}${fractionDigits(value % scale, precision)}`;
}

function fractionDigits(remainder: bigint, precision: number): string {
  if (remainder === 0n) return '';
  return `.${remainder.toString().padStart(precision, '0').replace(/0+$/, '')}`;
}

/**
 * Milliseconds, or undefined when the value is not a duration. Lenient for
 * runtime callers: a bare number (or numeric text) counts as seconds, as
 * docker-compose v1 read it. The canonical phase itself is strict (Go grammar).
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value * 1000 : undefined;
  const text = value.trim();
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(text)) return Number(text) * 1000;
  const parsed = parseGoDuration(text);
  return parsed.ok ? nanosecondsToMilliseconds(parsed.nanoseconds) : undefined;
}

/** Milliseconds (fractions allowed) printed as Go does. */
export function formatDuration(milliseconds: number): string {
  return formatGoDuration(millisecondsToNanoseconds(milliseconds));
}

export function nanosecondsToMilliseconds(nanoseconds: bigint): number {
  const whole = nanoseconds / 1_000_000n;
  return Number(whole) + Number(nanoseconds - whole * 1_000_000n) / 1e6;
}

export function millisecondsToNanoseconds(milliseconds: number): bigint {
  const whole = Math.trunc(milliseconds);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((milliseconds - whole) * 1e6));
}
