import type { Knex } from 'knex';
import { isPostgres } from './knex.ts';

/**
 * Locks one row for the rest of the transaction on PostgreSQL, where several
 * writers run at once. SQLite runs one write transaction at a time, so the
 * transaction itself is the lock there.
 */
export async function lockRow(trx: Knex.Transaction, table: string, where: Record<string, unknown>): Promise<void> {
  if (isPostgres(trx as unknown as Knex)) await trx(table).where(where).forUpdate().first();
}
