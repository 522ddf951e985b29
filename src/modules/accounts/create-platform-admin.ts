import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import { hashPassword } from './passwords.ts';
import { findUserByEmail, insertUser, setPassword, setPlatformAdmin } from './queries.ts';
import { PASSWORD_MIN, signUpSchema } from './schemas.ts';

export type CreatePlatformAdminResult =
  | { ok: true; outcome: 'promoted' | 'created'; email: string; generatedPassword?: string }
  | { ok: false; reason: 'invalid_email' | 'password_too_short' };

/**
 * R2.4: promotes an existing account to platform admin, or creates one. A new
 * account gets the given password or a generated one that is printed once.
 */
export async function createPlatformAdmin(
  db: Sql,
  clock: Clock,
  input: { email: string; password?: string | undefined },
): Promise<CreatePlatformAdminResult> {
  const email = signUpSchema.shape.email.safeParse(input.email);
  if (!email.success) return { ok: false, reason: 'invalid_email' };
  if (input.password !== undefined && input.password.length < PASSWORD_MIN) return { ok: false, reason: 'password_too_short' };
  const existing = await findUserByEmail(db, email.data);
  if (existing) {
    await setPlatformAdmin(db, existing.id, true);
    if (input.password !== undefined) await setPassword(db, existing.id, await hashPassword(input.password));
    return { ok: true, outcome: 'promoted', email: existing.email };
  }
  const generatedPassword = input.password === undefined ? randomBytes(12).toString('base64url') : undefined;
  const password = input.password ?? generatedPassword!;
  const user = await insertUser(db, {
    email: email.data,
    name: email.data.split('@')[0]!.slice(0, 100),
    passwordHash: await hashPassword(password),
    createdAt: clock.now(),
    isPlatformAdmin: true,
  });
  return generatedPassword
    ? { ok: true, outcome: 'created', email: user.email, generatedPassword }
    : { ok: true, outcome: 'created', email: user.email };
}
