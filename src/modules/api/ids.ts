/**
 * R16.1: ids on the wire. Losant's client and schemas take every id as 24
 * hexadecimal characters; ours are integers. An id goes out as its integer
 * in hexadecimal, zero-padded to 24 characters (1 → "000000000000000000000001"),
 * and comes back the same way. A plain decimal id (the device API's
 * `/api/applications/1/devices/2/state` of R8.1) is still accepted.
 */
export function toApiId(id: number): string {
  return id.toString(16).padStart(24, '0');
}

const MAX_ID = 2_147_483_647;

/** The integer id of a wire id, or null when it is not one of ours (never a database error). */
export function fromApiId(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  let n: number;
  if (/^[0-9a-fA-F]{24}$/.test(value)) {
    if (!/^0{16}/.test(value)) return null;
    n = parseInt(value, 16);
  } else if (/^\d{1,10}$/.test(value)) {
    n = Number(value);
  } else {
    return null;
  }
  return n >= 1 && n <= MAX_ID ? n : null;
}

/** JSON schema of an id in a path, query or body: Losant's 24 hexadecimal characters (or decimal, see above). */
export const apiIdSchema = { type: 'string', pattern: '^([A-Fa-f\\d]{24}|\\d{1,10})$' } as const;
