import type { Sql } from '../../../db/sql.ts';

/** The demo clock's stored forward offset in milliseconds (R11.3); none when the row is missing. */
export async function readClockOffset(db: Sql): Promise<number> {
  const row = await db.first<{ offset_ms: number | string }>('SELECT offset_ms FROM clock_offset WHERE id = 1');
  const offset = Number(row?.offset_ms ?? 0);
  return Number.isSafeInteger(offset) && offset > 0 ? offset : 0;
}

/**
 * R11.3: adds `deltaMs` to the stored offset in one statement, so two shifts
 * at once both count; makes the row when there is none yet. `changedAt` is
 * the real time of the change (the row's bookkeeping), not the application
 * time.
 */
export async function addToClockOffset(db: Sql, deltaMs: number, changedAt: number): Promise<void> {
  const updated = await db.run('UPDATE clock_offset SET offset_ms = offset_ms + ?, updated_at = ? WHERE id = 1', [deltaMs, changedAt]);
  if (updated === 0) await db.run('INSERT INTO clock_offset (id, offset_ms, updated_at) VALUES (1, ?, ?)', [deltaMs, changedAt]);
}
