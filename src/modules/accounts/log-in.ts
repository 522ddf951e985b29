import type { Db } from '../../db/knex.ts';
import { dummyPasswordHash, verifyPassword } from './passwords.ts';
import { findCredentials, type User } from './queries.ts';
import type { LogInInput } from './schemas.ts';

export type LogInResult = { ok: true; user: User } | { ok: false; reason: 'invalid_credentials' };

export async function logIn(db: Db, input: LogInInput): Promise<LogInResult> {
  const found = await findCredentials(db, input.email);
  if (!found) {
    await verifyPassword(await dummyPasswordHash(), input.password);
    return { ok: false, reason: 'invalid_credentials' };
  }
  if (!(await verifyPassword(found.passwordHash, input.password))) return { ok: false, reason: 'invalid_credentials' };
  return { ok: true, user: found.user };
}
