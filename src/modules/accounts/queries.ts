import type { DbOrTrx } from '../../db/knex.ts';
import { statementsOf } from '../../db/sql.ts';

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

interface UserRow {
  id: number;
  email: string;
  name: string;
  password_hash: string;
  is_platform_admin: boolean | number;
  created_at: number;
  time_zone: string;
  credentials_changed_at: number | string | null;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  email: r.email,
  name: r.name,
  isPlatformAdmin: Boolean(r.is_platform_admin),
  createdAt: new Date(Number(r.created_at)),
  timeZone: r.time_zone ?? 'UTC',
  credentialsChangedAt: r.credentials_changed_at === null || r.credentials_changed_at === undefined ? null : Number(r.credentials_changed_at),
});

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export async function findUserById(db: DbOrTrx, id: number): Promise<User | undefined> {
  // Every signed-in request reads its user: fixed SQL (db/sql.ts).
  const row = await statementsOf(db).first<UserRow>('SELECT * FROM users WHERE id = ?', [id]);
  return row ? toUser(row) : undefined;
}

export async function findUserByEmail(db: DbOrTrx, email: string): Promise<User | undefined> {
  const row = await db<UserRow>('users').where({ email: normalizeEmail(email) }).first();
  return row ? toUser(row) : undefined;
}

export async function findCredentials(
  db: DbOrTrx,
  email: string,
): Promise<{ user: User; passwordHash: string } | undefined> {
  const row = await db<UserRow>('users').where({ email: normalizeEmail(email) }).first();
  return row ? { user: toUser(row), passwordHash: row.password_hash } : undefined;
}

export async function insertUser(
  db: DbOrTrx,
  input: { email: string; name: string; passwordHash: string; createdAt: Date; isPlatformAdmin?: boolean; timeZone?: string },
): Promise<User> {
  const [row] = await db<UserRow>('users')
    .insert({
      email: normalizeEmail(input.email),
      name: input.name,
      password_hash: input.passwordHash,
      is_platform_admin: input.isPlatformAdmin ?? false,
      created_at: input.createdAt.getTime(),
      time_zone: input.timeZone ?? 'UTC',
    })
    .returning('*');
  return toUser(row as UserRow);
}

export async function setPlatformAdmin(db: DbOrTrx, userId: number, value: boolean): Promise<void> {
  await db('users').where({ id: userId }).update({ is_platform_admin: value });
}

export async function setPassword(db: DbOrTrx, userId: number, passwordHash: string): Promise<void> {
  await db('users').where({ id: userId }).update({ password_hash: passwordHash });
}

/**
 * R1.4, R13.4: records that the user's credentials changed (new password,
 * reset, other sessions signed out) and answers the new mark. It is `now`,
 * or one more than the last mark when that is not earlier (two changes in one
 * millisecond, or a clock set back), so every change gives a new value. One
 * statement: concurrent changes each move it on.
 */
export async function markCredentialsChanged(db: DbOrTrx, userId: number, now: Date): Promise<number> {
  const at = now.getTime();
  await db('users')
    .where({ id: userId })
    .update({ credentials_changed_at: db.raw('CASE WHEN credentials_changed_at IS NOT NULL AND credentials_changed_at >= CAST(? AS BIGINT) THEN credentials_changed_at + 1 ELSE CAST(? AS BIGINT) END', [at, at]) });
  const row = await db<UserRow>('users').where({ id: userId }).first('credentials_changed_at');
  return Number(row?.credentials_changed_at);
}

export async function findPasswordHash(db: DbOrTrx, userId: number): Promise<string | undefined> {
  const row = await db<UserRow>('users').where({ id: userId }).first('password_hash');
  return row?.password_hash;
}

export async function setName(db: DbOrTrx, userId: number, name: string): Promise<void> {
  await db('users').where({ id: userId }).update({ name });
}

export async function setEmail(db: DbOrTrx, userId: number, email: string): Promise<void> {
  await db('users').where({ id: userId }).update({ email: normalizeEmail(email) });
}

export async function setTimeZone(db: DbOrTrx, userId: number, timeZone: string): Promise<void> {
  await db('users').where({ id: userId }).update({ time_zone: timeZone });
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

export async function insertPasswordReset(db: DbOrTrx, input: { userId: number; tokenHash: string; createdAt: Date; expiresAt: Date }): Promise<void> {
  await db('password_resets').insert({
    user_id: input.userId,
    token_hash: input.tokenHash,
    created_at: input.createdAt.getTime(),
    expires_at: input.expiresAt.getTime(),
  });
}

export async function findPasswordReset(db: DbOrTrx, tokenHash: string): Promise<AccountLink | undefined> {
  const row = await db<LinkRow>('password_resets').where({ token_hash: tokenHash }).first();
  return row ? toLink(row) : undefined;
}

/** How many reset links of the user are still usable: a cap stops anyone mail-bombing an inbox. */
export async function countLivePasswordResets(db: DbOrTrx, userId: number, now: Date): Promise<number> {
  const row = await db('password_resets').where({ user_id: userId }).whereNull('used_at').andWhere('expires_at', '>', now.getTime()).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** Marks one link used, if it still was not: answers whether this call did it (a link works once). */
export async function usePasswordReset(db: DbOrTrx, id: number, now: Date): Promise<boolean> {
  return (await db('password_resets').where({ id }).whereNull('used_at').update({ used_at: now.getTime() })) === 1;
}

/** After a new password is set, every other link the user was sent stops working too. */
export async function closePasswordResets(db: DbOrTrx, userId: number, now: Date): Promise<void> {
  await db('password_resets').where({ user_id: userId }).whereNull('used_at').update({ used_at: now.getTime() });
}

export async function insertEmailChange(
  db: DbOrTrx,
  input: { userId: number; newEmail: string; tokenHash: string; cancelTokenHash: string; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await db('email_changes').insert({
    user_id: input.userId,
    new_email: normalizeEmail(input.newEmail),
    token_hash: input.tokenHash,
    cancel_token_hash: input.cancelTokenHash,
    created_at: input.createdAt.getTime(),
    expires_at: input.expiresAt.getTime(),
  });
}

export async function findEmailChange(db: DbOrTrx, tokenHash: string): Promise<EmailChange | undefined> {
  const row = await db<LinkRow & { new_email: string }>('email_changes').where({ token_hash: tokenHash }).first();
  return row ? { ...toLink(row), newEmail: row.new_email } : undefined;
}

/** The change whose cancel link (mailed to the address it would replace) has this token hash. */
export async function findEmailChangeByCancelToken(db: DbOrTrx, cancelTokenHash: string): Promise<EmailChange | undefined> {
  const row = await db<LinkRow & { new_email: string; cancel_token_hash: string | null }>('email_changes').where({ cancel_token_hash: cancelTokenHash }).first();
  return row ? { ...toLink(row), newEmail: row.new_email } : undefined;
}

/** The change the user asked for last that is still waiting for its confirmation, if any. */
export async function pendingEmailChange(db: DbOrTrx, userId: number, now: Date): Promise<EmailChange | undefined> {
  const row = await db<LinkRow & { new_email: string }>('email_changes')
    .where({ user_id: userId })
    .whereNull('used_at')
    .andWhere('expires_at', '>', now.getTime())
    .orderBy('id', 'desc')
    .first();
  return row ? { ...toLink(row), newEmail: row.new_email } : undefined;
}

/** Closes every open change of the user (a newer request, or one confirmed): answers how many. */
export async function closeEmailChanges(db: DbOrTrx, userId: number, now: Date): Promise<number> {
  return db('email_changes').where({ user_id: userId }).whereNull('used_at').update({ used_at: now.getTime() });
}

export async function useEmailChange(db: DbOrTrx, id: number, now: Date): Promise<boolean> {
  return (await db('email_changes').where({ id }).whereNull('used_at').update({ used_at: now.getTime() })) === 1;
}

/** Mailed links that can no longer be used: removed by the scheduler (the hashes are of no use to anyone then). */
export async function purgeExpiredAccountLinks(db: DbOrTrx, now: Date): Promise<number> {
  const resets = await db('password_resets').where('expires_at', '<=', now.getTime()).delete();
  const changes = await db('email_changes').where('expires_at', '<=', now.getTime()).delete();
  return resets + changes;
}
