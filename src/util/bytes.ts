/**
 * Byte sizes as compose reads them (compose-go's UnitBytes): a plain integer
 * (negative allowed, `memswap_limit: -1`), or docker/go-units RAMInBytes text
 * `<number>[ ][k|m|g|t|p][i][b]`, case-insensitive, binary multiples
 * (`512m` = 512 MiB, `1.5GB` = 1.5 GiB, `100kb`, `64b`). Fractions are truncated.
 */

const MULTIPLIERS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units' size grammar; `(\.\d+)*` is theirs too (ParseFloat then rejects `1.2.3`). */
const SIZE = /^(\d+(?:\.\d+)*) ?([kmgtp])?i?b?$/i;

/** Bytes, or undefined when the value is not a size. */
export function parseBytes(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (/^[-+]?\d+$/.test(value)) return Number(value);
  const m = SIZE.exec(value);
  if (!m) return undefined;
  const amount = m[1] as string;
  if (amount.split('.').length > 2) return undefined;
  const unit = (m[2] ?? '').toLowerCase();
  return Math.trunc(Number(amount) * (MULTIPLIERS[unit] as number));
}

/** go-units' error text for a value parseBytes refused. */
export function invalidSizeMessage(value: unknown): string {
  return `invalid size: '${String(value)}'`;
}
