import { createHash, timingSafeEqual } from 'node:crypto';
import { dummyPasswordHash, verifyPassword } from '../accounts/passwords.ts';
import type { Dashboard } from './queries.ts';

/** How long one unlock of a password-protected dashboard lasts in a browser. */
export const UNLOCK_TTL_MS = 12 * 3_600_000;

export type UnlockResult = { ok: true; pass: string; expiresAt: Date } | { ok: false; reason: 'wrong_password' | 'not_password_protected' };

/**
 * The proof a browser keeps after entering a dashboard's shared password: the
 * dashboard, an expiry, and a fingerprint of the password hash, so a pass for
 * one dashboard never opens another and a new password ends every old pass.
 * The route signs it into an httpOnly cookie; the signature makes it unforgeable.
 */
const fingerprint = (dashboard: Dashboard) =>
  createHash('sha256').update(`${dashboard.id}:${dashboard.passwordHash ?? ''}`).digest('base64url').slice(0, 22);

export async function unlockDashboard(dashboard: Dashboard, password: string, now: Date): Promise<UnlockResult> {
  if (dashboard.visibility !== 'password' || !dashboard.passwordHash) {
    await verifyPassword(await dummyPasswordHash(), password);
    return { ok: false, reason: 'not_password_protected' };
  }
  if (!(await verifyPassword(dashboard.passwordHash, password))) return { ok: false, reason: 'wrong_password' };
  const expiresAt = new Date(now.getTime() + UNLOCK_TTL_MS);
  return { ok: true, pass: `v1.${dashboard.id}.${expiresAt.getTime()}.${fingerprint(dashboard)}`, expiresAt };
}

/** Whether a (verified-signature) pass still opens this dashboard now. */
export function passOpens(dashboard: Dashboard, pass: string | null | undefined, now: Date): boolean {
  if (!pass || dashboard.visibility !== 'password' || !dashboard.passwordHash) return false;
  const [version, id, expires, print] = pass.split('.');
  if (version !== 'v1' || Number(id) !== dashboard.id || !print) return false;
  if (!(Number(expires) > now.getTime())) return false;
  const expected = Buffer.from(fingerprint(dashboard));
  const given = Buffer.from(print);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
