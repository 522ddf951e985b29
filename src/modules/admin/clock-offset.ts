import type { DbOrTrx } from '../../db/knex.ts';

/** The demo clock's stored forward offset in milliseconds (R11.3); none when the row is missing. */
export async function readClockOffset(db: DbOrTrx): Promise<number> {
  const row = await db('clock_offset').where({ id: 1 }).first('offset_ms');
  const offset = Number(row?.offset_ms ?? 0);
  return Number.isSafeInteger(offset) && offset > 0 ? offset : 0;
}
