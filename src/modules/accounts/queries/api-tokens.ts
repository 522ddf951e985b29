import { insertReturningId, setClause, type Sql } from '../../../db/sql.ts';
import { toUser, type User, type UserRow } from '../queries.ts';

/** R16.2: a token made by POST /api/auth/user (`login`) or by its owner (`personal`); see api-tokens.ts. */
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

/** Stores a new token (only its hash) and answers its id. */
export async function insertApiToken(
  db: Sql,
  input: {
    userId: number;
    kind: ApiTokenKind;
    name: string;
    description: string;
    scopes: string[];
    tokenHash: string;
    /** The user's credentials mark the token is made under (R1.4). */
    credentialsMark: number | null;
    status: ApiTokenStatus;
    createdAt: Date;
    expiresAt: Date | null;
  },
): Promise<number> {
  return insertReturningId(db, 'api_tokens', {
    user_id: input.userId,
    kind: input.kind,
    name: input.name,
    description: input.description,
    scopes: JSON.stringify(input.scopes),
    token_hash: input.tokenHash,
    credentials_mark: input.credentialsMark,
    status: input.status,
    created_at: input.createdAt.getTime(),
    updated_at: input.createdAt.getTime(),
    expires_at: input.expiresAt ? input.expiresAt.getTime() : null,
    last_used_at: null,
  });
}

/**
 * The token with this hash, its user, and the credentials mark it was made
 * under, in one read: this runs on every API call. The user's password hash
 * is not read (a token never needs it).
 */
export async function findApiTokenWithUserByHash(
  db: Sql,
  tokenHash: string,
): Promise<{ apiToken: ApiToken; user: User; credentialsMark: number | null } | undefined> {
  const row = await db.first<ApiTokenRow & UserColumns>(
    `SELECT t.*, u.email AS u_email, u.name AS u_name, u.is_platform_admin AS u_is_platform_admin,
       u.created_at AS u_created_at, u.time_zone AS u_time_zone, u.credentials_changed_at AS u_credentials_changed_at
     FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`,
    [tokenHash],
  );
  if (!row) return undefined;
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
  return { apiToken: toApiToken(row), user, credentialsMark: row.credentials_mark === null ? null : Number(row.credentials_mark) };
}

export async function recordApiTokenUse(db: Sql, id: number, at: Date): Promise<void> {
  await db.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [at.getTime(), id]);
}

/** One of the user's tokens (never another user's). */
export async function findApiToken(db: Sql, userId: number, id: number): Promise<ApiToken | undefined> {
  const row = await db.first<ApiTokenRow>('SELECT * FROM api_tokens WHERE id = ? AND user_id = ?', [id, userId]);
  return row ? toApiToken(row) : undefined;
}

/** A user's tokens of one kind, newest first. */
export async function listApiTokens(db: Sql, userId: number, kind: ApiTokenKind = 'personal'): Promise<ApiToken[]> {
  const rows = await db.rows<ApiTokenRow>('SELECT * FROM api_tokens WHERE user_id = ? AND kind = ? ORDER BY created_at DESC, id DESC', [userId, kind]);
  return rows.map(toApiToken);
}

/** Changes one of the user's tokens and answers it as it is now (undefined when it is not theirs). */
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

/** Deletes one of the user's tokens; false when it is not theirs or already gone. */
export async function deleteApiToken(db: Sql, userId: number, id: number): Promise<boolean> {
  return (await db.run('DELETE FROM api_tokens WHERE id = ? AND user_id = ?', [id, userId])) > 0;
}
