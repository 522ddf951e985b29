import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import { insertRows, type Sql } from '../../db/sql.ts';

const KEY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/**
 * R5.1: an access key for the device API. The secret is shown once and only
 * its SHA-256 is kept: secrets are 256 random bits, so a slow hash adds nothing.
 */
export async function createAccessKey(db: Sql, clock: Clock, applicationId: number, name: string): Promise<{ keyId: string; secret: string }> {
  const keyId = 'ak_' + [...randomBytes(16)].map((b) => KEY_ALPHABET[b % KEY_ALPHABET.length]).join('');
  const secret = randomBytes(32).toString('base64url');
  await insertRows(db, 'access_keys', [{ application_id: applicationId, key_id: keyId, secret_hash: hashSecret(secret), name, created_at: clock.now().getTime() }]);
  return { keyId, secret };
}

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export async function revokeAccessKey(db: Sql, clock: Clock, applicationId: number, keyRowId: number): Promise<boolean> {
  const revoked = await db.run('UPDATE access_keys SET revoked_at = ? WHERE id = ? AND application_id = ? AND revoked_at IS NULL', [clock.now().getTime(), keyRowId, applicationId]);
  return revoked === 1;
}

/** Renames an access key (its name is what Losant's API calls its description). */
export async function renameAccessKey(db: Sql, applicationId: number, keyRowId: number, name: string): Promise<boolean> {
  return (await db.run('UPDATE access_keys SET name = ? WHERE id = ? AND application_id = ?', [name, keyRowId, applicationId])) === 1;
}
