import { hashSecret } from '../applications/manage-access-keys.ts';
import { findAccessKeyByRowIdWithTerms, findAccessKeyWithTerms, noteAccessKeyUse, type AccessKeyRow } from '../applications/queries.ts';
import type { Sql } from '../../db/sql.ts';
import { timingSafeEqual } from 'node:crypto';
import type { CountedApplication } from '../usage/queries.ts';
import { ownerTermsFromColumns, type OwnerTerms } from '../owners/owner-period.ts';
import { ownerFromColumns } from '../owners/columns.ts';

/** How often an access key's `last_used_at` is written at most: a key used every second costs one write a minute. */
export const LAST_USED_RESOLUTION_MS = 60_000;

// RFC 6750 b64token characters; key ids fit the access_keys.key_id column.
const BEARER = /^Bearer[ ]+([A-Za-z0-9_-]{1,32}):([A-Za-z0-9._~+/-]{1,256}=*)$/i;

/** `Authorization: Bearer <key id>:<secret>`, or null when it is missing or not of that form. */
export function parseBearer(header: string | undefined): { keyId: string; secret: string } | null {
  const match = header ? BEARER.exec(header.trim()) : null;
  return match ? { keyId: match[1]!, secret: match[2]! } : null;
}

/** How access key secrets are stored (R5.1): SHA-256, hex. Secrets are long random strings, so a slow hash adds nothing. */

export interface KeyWithApplication {
  id: number;
  applicationId: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
  application: CountedApplication;
  /** The device asked about, when it belongs to the key's application. */
  device: { id: number } | null;
  /** The application owner's billing status, plan and period anchor (R8.1, R7.1, R9.8), read with the key. */
  ownerTerms: OwnerTerms;
}

/** What a device is told when it presents a revoked key, here or when it asks for a device token. */
export const REVOKED_KEY_MESSAGE = 'This access key has been revoked. Create a new one on the application’s Access Keys page.';

export type KeyCheck = { ok: true; key: KeyWithApplication } | { ok: false; reason: 'unknown_key' | 'revoked_key' };

/**
 * Finds an access key by its unique id, with its application and the named
 * device (`deviceId`, null for none) and the owner's terms, in one read, and checks the
 * secret in constant time. A revoked key is only told apart from a wrong one
 * to whoever holds its secret.
 */
export async function verifyAccessKey(db: Sql, keyId: string, secret: string, deviceId: number | null = null): Promise<KeyCheck> {
  const row = await findAccessKeyWithTerms(db, keyId, deviceId);
  const given = Buffer.from(hashSecret(secret), 'hex');
  const stored = row ? Buffer.from(String(row.secret_hash), 'hex') : Buffer.alloc(given.length);
  const matches = stored.length === given.length && timingSafeEqual(stored, given);
  if (!row || !matches) return { ok: false, reason: 'unknown_key' };
  if (row.revoked_at != null) return { ok: false, reason: 'revoked_key' };
  return { ok: true, key: keyOfRow(row) };
}

function keyOfRow(row: AccessKeyRow): KeyWithApplication {
  const applicationId = Number(row.application_id);
  const application = { id: applicationId, owner_type: String(row.owner_type), owner_id: Number(row.owner_id), name: String(row.name) };
  return {
    id: Number(row.id),
    applicationId,
    revokedAt: null,
    lastUsedAt: row.last_used_at == null ? null : Number(row.last_used_at),
    application,
    device: row.device_id == null ? null : { id: Number(row.device_id) },
    ownerTerms: ownerTermsFromColumns(ownerFromColumns(application), row),
  };
}

/**
 * A key by its row id (a device token names it, R16.2), with the same
 * application, device and owner's terms as verifyAccessKey; no secret is
 * checked (the token's signature stood for it).
 */
export async function keyByRowId(db: Sql, keyRowId: number, deviceId: number | null): Promise<{ ok: true; key: KeyWithApplication } | { ok: false; reason: 'unknown_key' | 'revoked_key' }> {
  const row = await findAccessKeyByRowIdWithTerms(db, keyRowId, deviceId);
  if (!row) return { ok: false, reason: 'unknown_key' };
  if (row.revoked_at != null) return { ok: false, reason: 'revoked_key' };
  return { ok: true, key: keyOfRow(row) };
}

/**
 * Notes when a key was last used, at most once a minute: the row read with
 * the key decides whether to write at all, and the condition keeps several
 * instances from writing the same minute twice.
 */
export async function touchAccessKey(db: Sql, key: KeyWithApplication, now: Date): Promise<void> {
  const t = now.getTime();
  if (key.lastUsedAt !== null && t - key.lastUsedAt < LAST_USED_RESOLUTION_MS) return;
  await noteAccessKeyUse(db, key.id, t, t - LAST_USED_RESOLUTION_MS);
}
