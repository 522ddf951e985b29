import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import { insertAccessKey, renameAccessKeyRow, revokeAccessKeyRow } from './queries.ts';

const KEY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/**
 * R5.1: an access key for the device API. The secret is shown once and only
 * its SHA-256 is kept: secrets are 256 random bits, so a slow hash adds nothing.
 */
export async function createAccessKey(db: Sql, clock: Clock, applicationId: number, name: string): Promise<{ keyId: string; secret: string }> {
  const keyId = 'ak_' + [...randomBytes(16)].map((b) => KEY_ALPHABET[b % KEY_ALPHABET.length]).join('');
  const secret = randomBytes(32).toString('base64url');
  await insertAccessKey(db, { applicationId, keyId, secretHash: hashSecret(secret), name, createdAt: clock.now() });
  return { keyId, secret };
}

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export async function revokeAccessKey(db: Sql, clock: Clock, applicationId: number, keyRowId: number): Promise<boolean> {
  return revokeAccessKeyRow(db, applicationId, keyRowId, clock.now());
}

/** Renames an access key (its name is what Losant's API calls its description). */
export async function renameAccessKey(db: Sql, applicationId: number, keyRowId: number, name: string): Promise<boolean> {
  return renameAccessKeyRow(db, applicationId, keyRowId, name);
}
