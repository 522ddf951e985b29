/**
 * A database id from a URL or form: digits only and within a 32-bit integer
 * column (a larger number would make PostgreSQL fail instead of "not found").
 */
export function parseId(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{1,10}$/.test(value)) return null;
  const n = Number(value);
  return n >= 1 && n <= 2_147_483_647 ? n : null;
}

/**
 * An id as the REST API's clients send it (R16.1): decimal as above, or
 * Losant's 24 hexadecimal characters (the integer, zero-padded). The API's
 * codec is api/ids.ts; this is the same rule for the device API below it.
 */
export function parseWireId(value: unknown): number | null {
  if (typeof value === 'string' && /^0{16}[0-9a-fA-F]{8}$/.test(value)) {
    const n = parseInt(value, 16);
    return n >= 1 && n <= 2_147_483_647 ? n : null;
  }
  return parseId(value);
}
