import type { Sql, SqlValue } from './sql.ts';

/**
 * Locks one row for the rest of the transaction on PostgreSQL, where several
 * writers run at once. SQLite runs one write transaction at a time, so the
 * transaction itself is the lock there. `table` and the column names come
 * from code, never from input.
 */
export async function lockRow(trx: Sql, table: string, where: Record<string, SqlValue>): Promise<void> {
  if (!trx.postgres) return;
  const columns = Object.keys(where);
  await trx.first(`SELECT 1 FROM ${table} WHERE ${columns.map((c) => `${c} = ?`).join(' AND ')} FOR UPDATE`, columns.map((c) => where[c]!));
}
