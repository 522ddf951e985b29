/**
 * A database id from a URL or form: digits only and within a 32-bit integer
 * column (a larger number would make PostgreSQL fail instead of "not found").
 */
export function parseId(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{1,10}$/.test(value)) return null;
  const n = Number(value);
  return n >= 1 && n <= 2_147_483_647 ? n : null;
}
