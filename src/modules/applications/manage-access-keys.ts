import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/knex.ts';

const KEY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/**
 * R5.1: an access key for the device API. The secret is shown once and only
 * its SHA-256 is kept: secrets are 256 random bits, so a slow hash adds nothing.
 */
export async function createAccessKey(db: Db, clock: Clock, applicationId: number, name: string): Promise<{ keyId: string; secret: string }> {
  const keyId = 'ak_' + [...randomBytes(16)].map((b) => KEY_ALPHABET[b % KEY_ALPHABET.length]).join('');
  const secret = randomBytes(32).toString('base64url');
  await db('access_keys').insert({
    application_id: applicationId,
    key_id: keyId,
    secret_hash: hashSecret(secret),
    name,
    created_at: clock.now().getTime(),
  });
  return { keyId, secret };
}

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export async function revokeAccessKey(db: Db, clock: Clock, applicationId: number, keyRowId: number): Promise<boolean> {
  return (await db('access_keys').where({ id: keyRowId, application_id: applicationId }).whereNull('revoked_at').update({ revoked_at: clock.now().getTime() })) === 1;
}
