/** Docker's byte sizes (`512m`, `1g`, `1.5GB`, `100kb`, plain numbers), binary multiples as go-units RAMInBytes. */

const MULTIPLIERS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

export function parseBytes(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?\s*$/i.exec(value);
  if (!m) return undefined;
  const unit = (m[2] ?? '').toLowerCase();
  const suffix = (m[3] ?? '').toLowerCase();
  if (unit === '' && suffix !== '' && suffix !== 'b') return undefined;
  return Math.floor(Number(m[1]) * (MULTIPLIERS[unit] as number));
}
