import type { Sql } from '../../db/sql.ts';
import { setName, setTimeZone } from './queries.ts';

/** R1.4, R1.5: the account page's Profile: the name shown to others and the time zone dates are read in. */
export async function updateProfile(db: Sql, userId: number, input: { name: string; timeZone: string }): Promise<void> {
  await db.transaction(async (trx) => {
    await setName(trx, userId, input.name);
    await setTimeZone(trx, userId, input.timeZone);
  });
}
