import { insertRows, insertSql, placeholders, type Sql } from '../../db/sql.ts';

export interface User {
  id: number;
  email: string;
  name: string;
  isPlatformAdmin: boolean;
  createdAt: Date;
  /** IANA time zone every date is shown in (R1.5). */
  timeZone: string;
  /**
   * When the credentials last changed (epoch ms, strictly increasing), or
   * null: a session signed in under another value is no longer valid (R1.4).
   */
  credentialsChangedAt: number | null;
}

export interface UserRow {
  id: number;
  email: string;
  name: string;
  password_hash: string;
  is_platform_admin: boolean | number;
  created_at: number;
  time_zone: string;
  credentials_changed_at: number | string | null;
}

export const toUser = (r: UserRow): User => ({
  id: r.id,
  email: r.email,
  name: r.name,
  isPlatformAdmin: Boolean(r.is_platform_admin),
  createdAt: new Date(Number(r.created_at)),
  timeZone: r.time_zone ?? 'UTC',
  credentialsChangedAt: r.credentials_changed_at === null || r.credentials_changed_at === undefined ? null : Number(r.credentials_changed_at),
});

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export async function findUserById(db: Sql, id: number): Promise<User | undefined> {
  const row = await db.first<UserRow>('SELECT * FROM users WHERE id = ?', [id]);
  return row ? toUser(row) : undefined;
}

export async function findUserByEmail(db: Sql, email: string): Promise<User | undefined> {
  const row = await db.first<UserRow>('SELECT * FROM users WHERE email = ?', [normalizeEmail(email)]);
  return row ? toUser(row) : undefined;
}

export async function findCredentials(
  db: Sql,
  email: string,
): Promise<{ user: User; passwordHash: string } | undefined> {
  const row = await db.first<UserRow>('SELECT * FROM users WHERE email = ?', [normalizeEmail(email)]);
  return row ? { user: toUser(row), passwordHash: row.password_hash } : undefined;
}

export async function insertUser(
  db: Sql,
  input: { email: string; name: string; passwordHash: string; createdAt: Date; isPlatformAdmin?: boolean; timeZone?: string },
): Promise<User> {
  const { sql, bindings } = insertSql(
    'users',
    [
      {
        email: normalizeEmail(input.email),
        name: input.name,
        password_hash: input.passwordHash,
        is_platform_admin: input.isPlatformAdmin ? 1 : 0,
        created_at: input.createdAt.getTime(),
        time_zone: input.timeZone ?? 'UTC',
      },
    ],
    '*',
  );
  return toUser((await db.first<UserRow>(sql, bindings))!);
}

export async function setPlatformAdmin(db: Sql, userId: number, value: boolean): Promise<void> {
  await db.run('UPDATE users SET is_platform_admin = ? WHERE id = ?', [value ? 1 : 0, userId]);
}

export async function setPassword(db: Sql, userId: number, passwordHash: string): Promise<void> {
  await db.run('UPDATE users SET password_hash = ? WHERE id = ?', [passwordHash, userId]);
}

/**
 * R1.4, R13.4: records that the user's credentials changed (new password,
 * reset, other sessions signed out) and answers the new mark. It is `now`,
 * or one more than the last mark when that is not earlier (two changes in one
 * millisecond, or a clock set back), so every change gives a new value. One
 * statement: concurrent changes each move it on.
 */
export async function markCredentialsChanged(db: Sql, userId: number, now: Date): Promise<number> {
  const at = now.getTime();
  const row = await db.first<{ credentials_changed_at: number | string }>(
    `UPDATE users SET credentials_changed_at =
       CASE WHEN credentials_changed_at IS NOT NULL AND credentials_changed_at >= CAST(? AS BIGINT) THEN credentials_changed_at + 1 ELSE CAST(? AS BIGINT) END
     WHERE id = ? RETURNING credentials_changed_at`,
    [at, at, userId],
  );
  return Number(row?.credentials_changed_at);
}

export async function findPasswordHash(db: Sql, userId: number): Promise<string | undefined> {
  const row = await db.first<Pick<UserRow, 'password_hash'>>('SELECT password_hash FROM users WHERE id = ?', [userId]);
  return row?.password_hash;
}

export async function setName(db: Sql, userId: number, name: string): Promise<void> {
  await db.run('UPDATE users SET name = ? WHERE id = ?', [name, userId]);
}

export async function setEmail(db: Sql, userId: number, email: string): Promise<void> {
  await db.run('UPDATE users SET email = ? WHERE id = ?', [normalizeEmail(email), userId]);
}

export async function setTimeZone(db: Sql, userId: number, timeZone: string): Promise<void> {
  await db.run('UPDATE users SET time_zone = ? WHERE id = ?', [timeZone, userId]);
}

// ---- Links mailed to the account's owner (R1.4): only token hashes are stored.

export interface AccountLink {
  id: number;
  userId: number;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

export interface EmailChange extends AccountLink {
  newEmail: string;
}

interface LinkRow {
  id: number;
  user_id: number;
  token_hash: string;
  created_at: number | string;
  expires_at: number | string;
  used_at: number | string | null;
}

const toLink = (r: LinkRow): AccountLink => ({
  id: r.id,
  userId: r.user_id,
  createdAt: new Date(Number(r.created_at)),
  expiresAt: new Date(Number(r.expires_at)),
  usedAt: r.used_at === null ? null : new Date(Number(r.used_at)),
});

export async function insertPasswordReset(db: Sql, input: { userId: number; tokenHash: string; createdAt: Date; expiresAt: Date }): Promise<void> {
  await insertRows(db, 'password_resets', [
    { user_id: input.userId, token_hash: input.tokenHash, created_at: input.createdAt.getTime(), expires_at: input.expiresAt.getTime() },
  ]);
}

export async function findPasswordReset(db: Sql, tokenHash: string): Promise<AccountLink | undefined> {
  const row = await db.first<LinkRow>('SELECT * FROM password_resets WHERE token_hash = ?', [tokenHash]);
  return row ? toLink(row) : undefined;
}

/** How many reset links of the user are still usable: a cap stops anyone mail-bombing an inbox. */
export async function countLivePasswordResets(db: Sql, userId: number, now: Date): Promise<number> {
  const row = await db.first<{ n: number }>('SELECT COUNT(*) AS n FROM password_resets WHERE user_id = ? AND used_at IS NULL AND expires_at > ?', [userId, now.getTime()]);
  return Number(row?.n ?? 0);
}

/** Marks one link used, if it still was not: answers whether this call did it (a link works once). */
export async function usePasswordReset(db: Sql, id: number, now: Date): Promise<boolean> {
  return (await db.run('UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at IS NULL', [now.getTime(), id])) === 1;
}

/** After a new password is set, every other link the user was sent stops working too. */
export async function closePasswordResets(db: Sql, userId: number, now: Date): Promise<void> {
  await db.run('UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL', [now.getTime(), userId]);
}

export async function insertEmailChange(
  db: Sql,
  input: { userId: number; newEmail: string; tokenHash: string; cancelTokenHash: string; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await insertRows(db, 'email_changes', [
    {
      user_id: input.userId,
      new_email: normalizeEmail(input.newEmail),
      token_hash: input.tokenHash,
      cancel_token_hash: input.cancelTokenHash,
      created_at: input.createdAt.getTime(),
      expires_at: input.expiresAt.getTime(),
    },
  ]);
}

export async function findEmailChange(db: Sql, tokenHash: string): Promise<EmailChange | undefined> {
  const row = await db.first<LinkRow & { new_email: string }>('SELECT * FROM email_changes WHERE token_hash = ?', [tokenHash]);
  return row ? { ...toLink(row), newEmail: row.new_email } : undefined;
}

/** The change whose cancel link (mailed to the address it would replace) has this token hash. */
export async function findEmailChangeByCancelToken(db: Sql, cancelTokenHash: string): Promise<EmailChange | undefined> {
  const row = await db.first<LinkRow & { new_email: string }>('SELECT * FROM email_changes WHERE cancel_token_hash = ?', [cancelTokenHash]);
  return row ? { ...toLink(row), newEmail: row.new_email } : undefined;
}

/** The change the user asked for last that is still waiting for its confirmation, if any. */
export async function pendingEmailChange(db: Sql, userId: number, now: Date): Promise<EmailChange | undefined> {
  const row = await db.first<LinkRow & { new_email: string }>(
    'SELECT * FROM email_changes WHERE user_id = ? AND used_at IS NULL AND expires_at > ? ORDER BY id DESC LIMIT 1',
    [userId, now.getTime()],
  );
  return row ? { ...toLink(row), newEmail: row.new_email } : undefined;
}

/** Closes every open change of the user (a newer request, or one confirmed): answers how many. */
export async function closeEmailChanges(db: Sql, userId: number, now: Date): Promise<number> {
  return db.run('UPDATE email_changes SET used_at = ? WHERE user_id = ? AND used_at IS NULL', [now.getTime(), userId]);
}

export async function useEmailChange(db: Sql, id: number, now: Date): Promise<boolean> {
  return (await db.run('UPDATE email_changes SET used_at = ? WHERE id = ? AND used_at IS NULL', [now.getTime(), id])) === 1;
}

/** Mailed links that can no longer be used: removed by the scheduler (the hashes are of no use to anyone then). */
export async function purgeExpiredAccountLinks(db: Sql, now: Date): Promise<number> {
  const resets = await db.run('DELETE FROM password_resets WHERE expires_at <= ?', [now.getTime()]);
  const changes = await db.run('DELETE FROM email_changes WHERE expires_at <= ?', [now.getTime()]);
  return resets + changes;
}

// ---------------------------------------------------------------------------
// Users as other modules read them. A list ordered by a member's name, or a
// statement that reads a Sandbox's sign-up with its access key, needs users
// in the same statement: this module hands out the join (the alias is the
// caller's; the columns are id, name, email, created_at).

/** `JOIN users <alias> ON <alias>.id = <userId>`. */
export const joinUsers = (alias: string, userId: string) => `JOIN users ${alias} ON ${alias}.id = ${userId}`;

/** `LEFT JOIN users <alias> ON <on>`, with the condition given (an owner's columns, say). */
export const leftJoinUsers = (alias: string, on: string) => `LEFT JOIN users ${alias} ON ${on}`;

/** When a user signed up: a Sandbox's billing periods start from it (R1.2). */
export async function signedUpAt(db: Sql, userId: number): Promise<Date | undefined> {
  const row = await db.first<{ created_at: number | string }>('SELECT created_at FROM users WHERE id = ?', [userId]);
  return row ? new Date(Number(row.created_at)) : undefined;
}

/** "Name <email>" of each user given, by id (who made a credit ledger entry). */
export async function userLabelsOf(db: Sql, userIds: readonly number[]): Promise<Map<number, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await db.rows<{ id: number | string; name: string; email: string }>(`SELECT id, name, email FROM users WHERE id IN (${placeholders(userIds.length)})`, [...userIds]);
  return new Map(rows.map((r) => [Number(r.id), `${r.name} <${r.email}>`]));
}

export interface UserListRow {
  id: number;
  name: string;
  email: string;
  isPlatformAdmin: boolean;
  createdAt: Date;
}

/** `%term%` for LIKE, with the wildcards of the term itself escaped (ESCAPE '\'). */
export const likePattern = (term: string) => `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** One page of the users whose name or email contains `q`, by name, and how many there are (the back-office, R11.1). */
export async function pageUsers(db: Sql, filter: { q: string; page: number; pageSize: number }): Promise<{ rows: UserListRow[]; total: number }> {
  const term = filter.q.trim();
  const pattern = likePattern(term);
  const where = term ? { sql: " WHERE (lower(u.name) LIKE ? ESCAPE '\\' OR u.email LIKE ? ESCAPE '\\')", bindings: [pattern, pattern] } : { sql: '', bindings: [] };
  const [rows, total] = await Promise.all([
    db.rows<{ id: number; name: string; email: string; is_platform_admin: boolean | number; created_at: number }>(
      `SELECT u.id, u.name, u.email, u.is_platform_admin, u.created_at FROM users u${where.sql} ORDER BY u.name, u.id LIMIT ? OFFSET ?`,
      [...where.bindings, filter.pageSize, (filter.page - 1) * filter.pageSize],
    ),
    db.first<{ n: number }>(`SELECT COUNT(*) AS n FROM users u${where.sql}`, where.bindings),
  ]);
  return {
    total: Number(total?.n ?? 0),
    rows: rows.map((r) => ({ id: r.id, name: r.name, email: r.email, isPlatformAdmin: Boolean(r.is_platform_admin), createdAt: new Date(Number(r.created_at)) })),
  };
}
