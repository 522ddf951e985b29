import type { DbOrTrx } from '../../db/knex.ts';
import { statementsOf } from '../../db/sql.ts';

export interface User {
  id: number;
  email: string;
  name: string;
  isPlatformAdmin: boolean;
  createdAt: Date;
}

interface UserRow {
  id: number;
  email: string;
  name: string;
  password_hash: string;
  is_platform_admin: boolean | number;
  created_at: number;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  email: r.email,
  name: r.name,
  isPlatformAdmin: Boolean(r.is_platform_admin),
  createdAt: new Date(r.created_at),
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
  input: { email: string; name: string; passwordHash: string; createdAt: Date; isPlatformAdmin?: boolean },
): Promise<User> {
  const [row] = await db<UserRow>('users')
    .insert({
      email: normalizeEmail(input.email),
      name: input.name,
      password_hash: input.passwordHash,
      is_platform_admin: input.isPlatformAdmin ?? false,
      created_at: input.createdAt.getTime(),
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
