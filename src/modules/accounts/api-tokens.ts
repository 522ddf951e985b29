import { randomBytes } from 'node:crypto';
import { insertReturningId, setClause, type Sql } from '../../db/sql.ts';
import { hashLinkToken } from '../../tokens.ts';
import { toUser, type User, type UserRow } from './queries.ts';

/**
 * R16.2: the REST API's bearer tokens, owned by the accounts module.
 *
 * - `login`: made by POST /api/auth/user from an email and password; all
 *   scopes of the user.
 * - `personal`: made by their owner on the account page or through the API,
 *   with a name, scopes and an optional expiry; shown once.
 *
 * A token is 32 random bytes in base64url after the prefix `opl_` (so a
 * secret scanner can recognise one); only its SHA-256 is stored. A token is
 * good while it is active, not expired, and made under the user's current
 * credentials mark (users.credentials_changed_at): a new password, a reset or
 * "Sign out other sessions" ends every token as it ends every session (R1.4).
 */
export type ApiTokenKind = 'login' | 'personal';
export type ApiTokenStatus = 'active' | 'inactive';

export interface ApiToken {
  id: number;
  userId: number;
  kind: ApiTokenKind;
  name: string;
  description: string;
  scopes: string[];
  status: ApiTokenStatus;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

interface ApiTokenRow {
  id: number;
  user_id: number;
  kind: ApiTokenKind;
  name: string;
  description: string;
  scopes: string;
  token_hash: string;
  credentials_mark: number | string | null;
  status: ApiTokenStatus;
  created_at: number | string;
  updated_at: number | string;
  expires_at: number | string | null;
  last_used_at: number | string | null;
}

/** The user's columns beside a token's, prefixed `u_`. */
type UserColumns = { [K in Exclude<keyof UserRow, 'id' | 'password_hash'> as `u_${K}`]: UserRow[K] };

const date = (v: number | string | null): Date | null => (v === null || v === undefined ? null : new Date(Number(v)));

const toApiToken = (r: ApiTokenRow): ApiToken => ({
  id: r.id,
  userId: r.user_id,
  kind: r.kind,
  name: r.name,
  description: r.description,
  scopes: JSON.parse(r.scopes) as string[],
  status: r.status,
  createdAt: date(r.created_at)!,
  updatedAt: date(r.updated_at)!,
  expiresAt: date(r.expires_at),
  lastUsedAt: date(r.last_used_at),
});

const TOKEN_PREFIX = 'opl_';
/** How often a token's last use is written: at most once a minute, so a busy script does not write on every call. */
const LAST_USE_RESOLUTION_MS = 60_000;

/** Whether a bearer value has the shape of one of our API tokens (no database read for anything else). */
export const looksLikeApiToken = (value: string) => /^opl_[A-Za-z0-9_-]{43}$/.test(value);

export async function issueApiToken(
  db: Sql,
  input: {
    user: Pick<User, 'id' | 'credentialsChangedAt'>;
    kind: ApiTokenKind;
    name: string;
    description?: string;
    scopes: string[];
    expiresAt: Date | null;
    status?: ApiTokenStatus;
    now: Date;
  },
): Promise<{ token: string; apiToken: ApiToken }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const id = await insertReturningId(db, 'api_tokens', {
    user_id: input.user.id,
    kind: input.kind,
    name: input.name,
    description: input.description ?? '',
    scopes: JSON.stringify(input.scopes),
    token_hash: hashLinkToken(token),
    credentials_mark: input.user.credentialsChangedAt,
    status: input.status ?? 'active',
    created_at: input.now.getTime(),
    updated_at: input.now.getTime(),
    expires_at: input.expiresAt ? input.expiresAt.getTime() : null,
    last_used_at: null,
  });
  const apiToken = (await findApiToken(db, input.user.id, id))!;
  return { token, apiToken };
}

export type TokenCheck =
  | { ok: true; user: User; apiToken: ApiToken }
  | { ok: false; reason: 'unknown' | 'inactive' | 'expired' | 'credentials_changed' };

/**
 * The user a bearer token speaks for, and the token. Records the use (at
 * most once a minute per token).
 */
export async function authenticateApiToken(db: Sql, token: string, now: Date): Promise<TokenCheck> {
  if (!looksLikeApiToken(token)) return { ok: false, reason: 'unknown' };
  // The token and its user in one read: this runs on every API call.
  const row = await db.first<ApiTokenRow & UserColumns>(
    `SELECT t.*, u.email AS u_email, u.name AS u_name, u.is_platform_admin AS u_is_platform_admin,
       u.created_at AS u_created_at, u.time_zone AS u_time_zone, u.credentials_changed_at AS u_credentials_changed_at
     FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`,
    [hashLinkToken(token)],
  );
  if (!row) return { ok: false, reason: 'unknown' };
  const apiToken = toApiToken(row);
  if (apiToken.status !== 'active') return { ok: false, reason: 'inactive' };
  if (apiToken.expiresAt && apiToken.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  const user = toUser({
    id: row.user_id,
    email: row.u_email,
    name: row.u_name,
    password_hash: '', // not read: a token never needs it
    is_platform_admin: row.u_is_platform_admin,
    created_at: row.u_created_at,
    time_zone: row.u_time_zone,
    credentials_changed_at: row.u_credentials_changed_at,
  });
  const mark = row.credentials_mark === null ? null : Number(row.credentials_mark);
  if (user.credentialsChangedAt !== null && mark !== user.credentialsChangedAt) return { ok: false, reason: 'credentials_changed' };
  if (!apiToken.lastUsedAt || now.getTime() - apiToken.lastUsedAt.getTime() >= LAST_USE_RESOLUTION_MS) {
    await db.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [now.getTime(), apiToken.id]);
    apiToken.lastUsedAt = now;
  }
  return { ok: true, user, apiToken };
}

export async function findApiToken(db: Sql, userId: number, id: number): Promise<ApiToken | undefined> {
  const row = await db.first<ApiTokenRow>('SELECT * FROM api_tokens WHERE id = ? AND user_id = ?', [id, userId]);
  return row ? toApiToken(row) : undefined;
}

/** A user's tokens of one kind, newest first. */
export async function listApiTokens(db: Sql, userId: number, kind: ApiTokenKind = 'personal'): Promise<ApiToken[]> {
  const rows = await db.rows<ApiTokenRow>('SELECT * FROM api_tokens WHERE user_id = ? AND kind = ? ORDER BY created_at DESC, id DESC', [userId, kind]);
  return rows.map(toApiToken);
}

export async function updateApiToken(
  db: Sql,
  userId: number,
  id: number,
  changes: { name?: string; description?: string; status?: ApiTokenStatus },
  now: Date,
): Promise<ApiToken | undefined> {
  const set = setClause({ ...changes, updated_at: now.getTime() });
  await db.run(`UPDATE api_tokens SET ${set.sql} WHERE id = ? AND user_id = ?`, [...set.bindings, id, userId]);
  return findApiToken(db, userId, id);
}

/** Revokes (deletes) one of a user's tokens; false when it is not theirs or already gone. */
export async function revokeApiToken(db: Sql, userId: number, id: number): Promise<boolean> {
  return (await db.run('DELETE FROM api_tokens WHERE id = ? AND user_id = ?', [id, userId])) > 0;
}
