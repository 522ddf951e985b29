import type { Sql } from '../../db/sql.ts';

/** The demo clock's stored forward offset in milliseconds (R11.3); none when the row is missing. */
export async function readClockOffset(db: Sql): Promise<number> {
  const row = await db.first<{ offset_ms: number | string }>('SELECT offset_ms FROM clock_offset WHERE id = 1');
  const offset = Number(row?.offset_ms ?? 0);
  return Number.isSafeInteger(offset) && offset > 0 ? offset : 0;
}
