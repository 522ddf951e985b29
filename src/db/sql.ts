import type { Knex } from 'knex';
import { isPostgres, type Db, type DbOrTrx } from './knex.ts';

/** A value a statement can bind: no Dates or booleans (epoch ms and 0/1 are what the tables hold). */
export type SqlValue = string | number | bigint | null;

/**
 * Fixed SQL for the hot paths (issue #9). Every request of a signed-in page
 * and every device report runs a handful of small statements; through knex's
 * query builder and runner each costs ~40 µs of CPU on top of SQLite's few
 * microseconds. These run the same SQL text, with `?` placeholders, on either
 * database:
 *
 * - SQLite (better-sqlite3 is synchronous, one connection): a statement
 *   outside a transaction runs at once on the connection when nobody holds it
 *   — it runs to completion before anything else can, so it cannot land inside
 *   someone else's transaction — and otherwise waits its turn in knex's pool
 *   like any query. Statements are prepared once per connection
 *   (`cacheStatements` in knex.ts).
 * - Inside a knex transaction on SQLite, directly on the connection it holds.
 * - PostgreSQL: `knex.raw`, on the pool or on the transaction given.
 */
export interface Statements {
  /** Which database runs them (for the few statements that differ, e.g. row locks). */
  readonly postgres: boolean;
  rows<T>(sql: string, bindings?: readonly SqlValue[]): Promise<T[]>;
  first<T>(sql: string, bindings?: readonly SqlValue[]): Promise<T | undefined>;
  /** Runs an INSERT/UPDATE/DELETE; answers how many rows it changed. */
  run(sql: string, bindings?: readonly SqlValue[]): Promise<number>;
}

interface SqliteStatement {
  reader: boolean;
  all(...bindings: unknown[]): unknown[];
  get(...bindings: unknown[]): unknown;
  run(...bindings: unknown[]): { changes: number };
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  inTransaction: boolean;
}
interface TarnPool {
  free: { resource: SqliteConnection }[];
  numUsed(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}
interface SqliteClient {
  pool?: TarnPool;
  acquireConnection(): Promise<SqliteConnection>;
  releaseConnection(conn: SqliteConnection): Promise<void>;
}

function isTransaction(db: DbOrTrx): db is Knex.Transaction {
  return (db as { isTransaction?: boolean }).isTransaction === true;
}

/** Where statements can run: the pool, a knex transaction, or the statements of an `inTransaction`. */
export type Executor = DbOrTrx | Statements;

/** Statements on `db`: the pool, or a knex transaction (PostgreSQL, or SQLite code still on knex). */
export function statementsOf(db: Executor): Statements {
  // Knex instances and transactions are functions; Statements are plain objects.
  if (typeof db !== 'function') return db;
  if (isPostgres(db as Db)) return knexStatements(db);
  if (isTransaction(db)) return sqliteTransactionStatements(db);
  return sqliteStatements(db.client as unknown as SqliteClient);
}

/**
 * Runs `fn` in one transaction and answers what it answers; a throw rolls
 * everything back. On SQLite it is `BEGIN IMMEDIATE` on the pool's connection
 * (held until the end, as knex holds it for its own transactions), so every
 * statement inside is a direct call; on PostgreSQL a knex transaction.
 */
export async function inTransaction<T>(db: Db, fn: (sql: Statements) => Promise<T>): Promise<T> {
  if (isPostgres(db)) return db.transaction((trx) => fn(knexStatements(trx)));
  const client = db.client as unknown as SqliteClient;
  const conn = await client.acquireConnection();
  // Statements of this transaction run only while it is open: one left
  // unawaited by `fn` must not land in whatever uses the connection next.
  const state = { open: true };
  try {
    conn.prepare('BEGIN IMMEDIATE').run();
    let result: T;
    try {
      result = await fn(connectionStatements(conn, state));
      state.open = false;
      conn.prepare('COMMIT').run();
    } catch (err) {
      state.open = false;
      rollBack(conn, err);
      throw err;
    }
    return result;
  } finally {
    state.open = false;
    await client.releaseConnection(conn);
  }
}

/**
 * Rolls back after `cause`. A connection left inside its transaction (the
 * ROLLBACK itself failed) is marked so knex's pool discards it rather than
 * hand it out with the transaction still open; `cause` stays the error.
 */
function rollBack(conn: SqliteConnection, cause: unknown): void {
  try {
    if (conn.inTransaction) conn.prepare('ROLLBACK').run();
  } catch (err) {
    console.error('SQLite ROLLBACK failed after', cause, err);
  }
  if (conn.inTransaction) (conn as { __knex__disposed?: unknown }).__knex__disposed = 'left inside a transaction whose ROLLBACK failed';
}

function knexStatements(db: DbOrTrx): Statements {
  const pg = isPostgres(db as Db);
  const rowsOf = (result: unknown): unknown[] => (pg ? (result as { rows: unknown[] }).rows : (result as unknown[]));
  return {
    postgres: pg,
    rows: async <T>(sql: string, bindings: readonly SqlValue[] = []) => rowsOf(await db.raw(sql, bindings as readonly Knex.RawBinding[])) as T[],
    first: async <T>(sql: string, bindings: readonly SqlValue[] = []) => rowsOf(await db.raw(sql, bindings as readonly Knex.RawBinding[]))[0] as T | undefined,
    run: async (sql: string, bindings: readonly SqlValue[] = []) => {
      const result = await db.raw(sql, bindings as readonly Knex.RawBinding[]);
      // knex answers a run on better-sqlite3 with better-sqlite3's RunResult.
      return pg ? ((result as { rowCount: number | null }).rowCount ?? 0) : (result as { changes: number }).changes;
    },
  };
}

/** Statements run directly on a SQLite connection that `onConnection` hands to each. */
function directStatements(onConnection: <R>(work: (conn: SqliteConnection) => R) => Promise<R>): Statements {
  return {
    postgres: false,
    rows: <T>(sql: string, bindings: readonly SqlValue[] = []) => onConnection((c) => c.prepare(sql).all(...bindings) as T[]),
    first: <T>(sql: string, bindings: readonly SqlValue[] = []) => onConnection((c) => c.prepare(sql).get(...bindings) as T | undefined),
    run: (sql: string, bindings: readonly SqlValue[] = []) => onConnection((c) => c.prepare(sql).run(...bindings).changes),
  };
}

/** The connection an `inTransaction` holds, while it is open. */
function connectionStatements(conn: SqliteConnection, state: { open: boolean }): Statements {
  return directStatements(async (work) => {
    if (!state.open) throw new Error('Transaction query already complete');
    return work(conn);
  });
}

/** The pool's connection when nobody holds it or waits for it: then a synchronous statement cannot interleave with anyone. */
function idleConnection(client: SqliteClient): SqliteConnection | undefined {
  const pool = client.pool;
  if (!pool || pool.numUsed() !== 0 || pool.numPendingAcquires() !== 0 || pool.numPendingCreates() !== 0) return undefined;
  const conn = pool.free[0]?.resource as (SqliteConnection & { __knex__disposed?: unknown }) | undefined;
  return conn && !conn.inTransaction && !conn.__knex__disposed ? conn : undefined;
}

/** The pool: at once on its idle connection, or in turn like any query. */
function sqliteStatements(client: SqliteClient): Statements {
  return directStatements(async (work) => {
    const idle = idleConnection(client);
    if (idle) return work(idle);
    const conn = await client.acquireConnection();
    try {
      return work(conn);
    } finally {
      await client.releaseConnection(conn);
    }
  });
}

/**
 * Inside a knex transaction on SQLite, statements run directly on the
 * connection the transaction holds (knex hands it out without the pool), in
 * the order they are awaited, like the transaction's own queries.
 */
function sqliteTransactionStatements(trx: Knex.Transaction): Statements {
  const client = trx.client as unknown as SqliteClient;
  return directStatements(async (work) => {
    const conn = await client.acquireConnection();
    // Checked after the await, right before the statement runs synchronously.
    if (trx.isCompleted()) throw new Error('Transaction query already complete');
    return work(conn);
  });
}

/**
 * `INSERT INTO table (columns…) VALUES (?…)` for rows of the same columns
 * (table and column names come from code, never from input). The SQL text
 * depends only on the columns and the number of rows, so it is prepared once.
 */
export function insertSql(table: string, rows: readonly Record<string, SqlValue>[], returning?: string): { sql: string; bindings: SqlValue[] } {
  const columns = Object.keys(rows[0] ?? {});
  if (columns.length === 0) throw new Error(`insert into ${table} without columns`);
  // Every row names the same columns: a value left out is a bug, not a database default.
  for (const row of rows) {
    if (Object.keys(row).length !== columns.length || columns.some((c) => row[c] === undefined)) {
      throw new Error(`insert into ${table}: every row must give every column (${columns.join(', ')})`);
    }
  }
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}${returning ? ` RETURNING ${returning}` : ''}`;
  return { sql, bindings: rows.flatMap((row) => columns.map((c) => row[c]!)) };
}

/** Inserts one row and answers its `id`. */
export async function insertReturningId(db: Executor, table: string, row: Record<string, SqlValue>): Promise<number> {
  const { sql, bindings } = insertSql(table, [row], 'id');
  const inserted = await statementsOf(db).first<{ id: number | string }>(sql, bindings);
  return Number(inserted!.id);
}

/** Inserts rows (nothing for none). */
export async function insertRows(db: Executor, table: string, rows: readonly Record<string, SqlValue>[]): Promise<void> {
  if (rows.length === 0) return;
  const { sql, bindings } = insertSql(table, rows);
  await statementsOf(db).run(sql, bindings);
}
