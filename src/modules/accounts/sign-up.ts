import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import { hashPassword } from './passwords.ts';
import { findUserByEmail, insertUser, type User } from './queries.ts';
import type { SignUpInput } from './schemas.ts';

export type SignUpResult = { ok: true; user: User } | { ok: false; reason: 'email_taken' };

/**
 * R1.1, R1.2: creates the account; the Sandbox is the user's personal owner,
 * anchored at sign-up. The password is hashed before the address is looked
 * up, so "an account with this email already exists" takes as long as
 * creating one (the hash is nearly all of either answer's time) and the
 * answer's timing does not tell which addresses have accounts.
 */
export async function signUp(db: Sql, clock: Clock, input: SignUpInput): Promise<SignUpResult> {
  const passwordHash = await hashPassword(input.password);
  if (await findUserByEmail(db, input.email)) return { ok: false, reason: 'email_taken' };
  try {
    const user = await insertUser(db, { name: input.name, email: input.email, passwordHash, createdAt: clock.now(), timeZone: input.timeZone ?? 'UTC' });
    return { ok: true, user };
  } catch (err) {
    // Two sign-ups racing for one address: the unique index decides.
    if (await findUserByEmail(db, input.email)) return { ok: false, reason: 'email_taken' };
    throw err;
  }
}
