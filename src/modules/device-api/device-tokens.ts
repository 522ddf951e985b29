import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Sql } from '../../db/sql.ts';
import { DAY_MS } from '../../clock.ts';
import { keyByRowId, type KeyWithApplication } from './access-keys.ts';
import { assertNever } from '../../assert-never.ts';

/**
 * R8.1, R16.2: a device token, what Losant's auth.authenticateDevice hands a
 * device for its access key and secret. It names the key (its row id), the
 * device and when it ends, signed with HMAC-SHA-256 under a key derived from
 * the session secret: `odt_<payload>.<signature>`, both base64url. It holds
 * no secret and is checked against the key on every use, so revoking the key
 * ends every token made with it; changing the session secret ends them all.
 */
export const DEVICE_TOKEN_PREFIX = 'odt_';
/** How long a device token lasts when the device asks for no tokenTTL, and the most it may ask for. */
export const DEVICE_TOKEN_DEFAULT_TTL_MS = 30 * DAY_MS;
export const DEVICE_TOKEN_MAX_TTL_MS = 365 * DAY_MS;

const TOKEN = /^odt_([A-Za-z0-9_-]{1,200})\.([A-Za-z0-9_-]{43})$/;

interface Claims {
  /** access_keys.id */
  k: number;
  /** devices.id */
  d: number;
  /** expiry, ms since the epoch */
  e: number;
}

const signingKey = (sessionSecret: string) => createHmac('sha256', sessionSecret).update('orgplane device token v1').digest();
const sign = (sessionSecret: string, payload: string) => createHmac('sha256', signingKey(sessionSecret)).update(payload).digest('base64url');

export function issueDeviceToken(sessionSecret: string, input: { keyRowId: number; deviceId: number; expiresAt: Date }): string {
  const claims: Claims = { k: input.keyRowId, d: input.deviceId, e: input.expiresAt.getTime() };
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${DEVICE_TOKEN_PREFIX}${payload}.${sign(sessionSecret, payload)}`;
}

/** Whether a bearer value has the form of a device token (checked by verifyDeviceToken). */
export const looksLikeDeviceToken = (bearer: string) => bearer.startsWith(DEVICE_TOKEN_PREFIX);

export type DeviceTokenCheck =
  | { ok: true; key: KeyWithApplication }
  | { ok: false; reason: 'invalid' | 'expired' | 'revoked_key' | 'other_device' };

/** Checks a device token for a request that names `deviceId` (null: not a device id at all). */
export async function verifyDeviceToken(db: Sql, sessionSecret: string, token: string, deviceId: number | null, now: Date): Promise<DeviceTokenCheck> {
  const m = TOKEN.exec(token);
  if (!m) return { ok: false, reason: 'invalid' };
  const given = Buffer.from(m[2]!, 'base64url');
  const expected = Buffer.from(sign(sessionSecret, m[1]!), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
  let claims: Claims;
  try {
    claims = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')) as Claims;
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  if (!Number.isSafeInteger(claims.k) || !Number.isSafeInteger(claims.d) || !Number.isSafeInteger(claims.e)) return { ok: false, reason: 'invalid' };
  if (claims.e <= now.getTime()) return { ok: false, reason: 'expired' };
  if (deviceId !== claims.d) return { ok: false, reason: 'other_device' };
  // The key by its row id, with its application, the token's device and the owner's terms, in one read.
  const found = await keyByRowId(db, claims.k, claims.d);
  if (!found.ok) {
    switch (found.reason) {
      case 'revoked_key':
        return { ok: false, reason: 'revoked_key' };
      case 'unknown_key':
        return { ok: false, reason: 'invalid' };
      default:
        return assertNever(found.reason);
    }
  }
  return found;
}
