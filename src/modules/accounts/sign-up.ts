import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/knex.ts';
import { hashPassword } from './passwords.ts';
import { findUserByEmail, insertUser, type User } from './queries.ts';
import type { SignUpInput } from './schemas.ts';

export type SignUpResult = { ok: true; user: User } | { ok: false; reason: 'email_taken' };

/** R1.1, R1.2: creates the account; the Sandbox is the user's personal owner, anchored at sign-up. */
export async function signUp(db: Db, clock: Clock, input: SignUpInput): Promise<SignUpResult> {
  if (await findUserByEmail(db, input.email)) return { ok: false, reason: 'email_taken' };
  const passwordHash = await hashPassword(input.password);
  try {
    const user = await insertUser(db, { ...input, passwordHash, createdAt: clock.now() });
    return { ok: true, user };
  } catch (err) {
    // Two sign-ups racing for one address: the unique index decides.
    if (await findUserByEmail(db, input.email)) return { ok: false, reason: 'email_taken' };
    throw err;
  }
}
