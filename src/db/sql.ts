import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type PgModule from 'pg';
import { startCheckpointer, type Checkpointer } from './checkpointer.ts';

// The one way the application reaches its database (see README.md here).
// Every queries file and use case runs SQL text with `?` placeholders through
// `Sql`; the same text runs on SQLite and PostgreSQL. This layer owns its
// connections: a better-sqlite3 `Database` it opens itself, or a `pg.Pool`.
// knex only runs the migrations (migrate.ts) and gives tests a handle.

/** A value a statement can bind: no Dates or booleans (epoch ms and 0/1 are what the tables hold). */
export type SqlValue = string | number | bigint | null;

/** SQL text with `?` placeholders and its bindings, in order: a statement, or a part of one. */
export interface Statement {
  sql: string;
  bindings: SqlValue[];
}

export interface Sql {
  /** Which database runs them (for the few statements that differ, e.g. row locks, upsert arithmetic). */
  readonly postgres: boolean;
  rows<T>(sql: string, bindings?: readonly SqlValue[]): Promise<T[]>;
  first<T>(sql: string, bindings?: readonly SqlValue[]): Promise<T | undefined>;
  /** Runs an INSERT/UPDATE/DELETE; answers how many rows it changed. */
  run(sql: string, bindings?: readonly SqlValue[]): Promise<number>;
  /**
   * Runs `fn` in one transaction and answers what it answers; a throw rolls
   * everything back. `fn` gets statements bound to the transaction; used
   * after it ended they throw. Called on a transaction's statements it is a
   * savepoint: a throw rolls back to where it started.
   */
  transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
}

/** The application's database: statements on it, and `close` when the process is done with it. */
export interface Database extends Sql {
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  sqliteFile?: string;
  /** PostgreSQL schema to work in (tests give each file its own): the connections' search_path. */
  schema?: string;
  poolMax?: number;
  /** SQLite file: checkpoint the WAL from a worker thread instead of the committing request (checkpointer.ts). */
  backgroundCheckpoints?: boolean;
}

export function openDatabase(opts: DatabaseOptions): Database {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts) : openSqlite(opts.sqliteFile ?? ':memory:', opts);
}

const require = createRequire(import.meta.url);

// ---- SQLite ------------------------------------------------------------------

/** How many prepared statements the SQLite connection keeps (least recently used go first). */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * Prepared statements of one better-sqlite3 connection, keyed by the exact
 * SQL text, least recently used dropped first. Compiling SQL was 3–16 % of
 * every profiled request: a statement is compiled once and then
 * only bound and run. Bindings are passed on every run, so nothing of one
 * request is kept for the next; SQLite itself recompiles a cached statement
 * when the schema changes. A statement still iterating (busy) is never handed
 * out twice.
 */
export class StatementCache {
  private readonly cache = new Map<string, BetterSqlite3.Statement>();
  constructor(
    private readonly conn: { prepare(sql: string): BetterSqlite3.Statement },
    private readonly size = STATEMENT_CACHE_SIZE,
  ) {}

  get(sql: string): BetterSqlite3.Statement {
    const cached = this.cache.get(sql);
    if (cached) {
      if (cached.busy) return this.conn.prepare(sql);
      this.cache.delete(sql);
      this.cache.set(sql, cached);
      return cached;
    }
    const statement = this.conn.prepare(sql);
    if (this.cache.size >= this.size) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(sql, statement);
    return statement;
  }
}

/**
 * better-sqlite3 is synchronous and SQLite has one writer, so the database is
 * one connection with this discipline:
 *
 * - A transaction is `BEGIN IMMEDIATE` … `COMMIT` on the connection, and holds
 *   it (an async mutex) until it ends: its `fn` may await between statements.
 * - A statement outside a transaction runs at once, synchronously, when no
 *   transaction holds the connection and nobody waits for it — it runs to
 *   completion before anything else can, so it cannot land inside someone
 *   else's transaction. Otherwise it waits its turn like a transaction.
 */
function openSqlite(file: string, opts: DatabaseOptions): Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const BetterSqlite = require('better-sqlite3') as typeof BetterSqlite3;
  const conn = new BetterSqlite(file);
  conn.pragma('journal_mode = WAL');
  conn.pragma('synchronous = NORMAL');
  conn.pragma('foreign_keys = ON');
  conn.pragma('busy_timeout = 5000');
  let checkpointer: Checkpointer | undefined;
  if (opts.backgroundCheckpoints === true && file !== ':memory:') {
    // With a background checkpointer this connection checkpoints only if that falls far behind.
    conn.pragma('wal_autocheckpoint = 16384');
    checkpointer = startCheckpointer(file, {
      onError: (message) => console.error(`SQLite background checkpoint failed: ${message}`),
      // Without the worker, this connection checkpoints at SQLite's default again.
      onUnexpectedExit: () => {
        console.error('SQLite background checkpointer stopped; checkpoints return to the server connection');
        if (conn.open) conn.pragma('wal_autocheckpoint = 1000');
      },
    });
  }
  const statements = new StatementCache(conn);
  const mutex = new Mutex();

  const direct = {
    rows: <T>(sql: string, bindings: readonly SqlValue[]) => statements.get(sql).all(...bindings) as T[],
    first: <T>(sql: string, bindings: readonly SqlValue[]) => statements.get(sql).get(...bindings) as T | undefined,
    run: (sql: string, bindings: readonly SqlValue[]) => statements.get(sql).run(...bindings).changes,
  };

  /** Outside a transaction: at once when the connection is free, else in turn. */
  async function outside<R>(work: () => R): Promise<R> {
    if (mutex.free) return work();
    await mutex.acquire();
    try {
      return work();
    } finally {
      mutex.release();
    }
  }

  let savepoints = 0;
  /** Statements of one open transaction (or savepoint): valid while `state.open`. */
  function transactionSql(state: { open: boolean }): Sql {
    const check = () => {
      if (!state.open) throw new Error('Transaction query already complete');
    };
    return {
      postgres: false,
      rows: async <T>(sql: string, bindings: readonly SqlValue[] = []) => (check(), direct.rows<T>(sql, bindings)),
      first: async <T>(sql: string, bindings: readonly SqlValue[] = []) => (check(), direct.first<T>(sql, bindings)),
      run: async (sql: string, bindings: readonly SqlValue[] = []) => (check(), direct.run(sql, bindings)),
      transaction: async <T>(fn: (sql: Sql) => Promise<T>) => {
        check();
        const name = `sp_${++savepoints}`;
        conn.exec(`SAVEPOINT ${name}`);
        const inner = { open: true };
        try {
          const result = await fn(transactionSql(inner));
          inner.open = false;
          check();
          conn.exec(`RELEASE SAVEPOINT ${name}`);
          return result;
        } catch (err) {
          inner.open = false;
          if (state.open && conn.inTransaction) {
            conn.exec(`ROLLBACK TO SAVEPOINT ${name}`);
            conn.exec(`RELEASE SAVEPOINT ${name}`);
          }
          throw err;
        }
      },
    };
  }

  return {
    postgres: false,
    rows: <T>(sql: string, bindings: readonly SqlValue[] = []) => outside(() => direct.rows<T>(sql, bindings)),
    first: <T>(sql: string, bindings: readonly SqlValue[] = []) => outside(() => direct.first<T>(sql, bindings)),
    run: (sql: string, bindings: readonly SqlValue[] = []) => outside(() => direct.run(sql, bindings)),
    async transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
      await mutex.acquire();
      // Statements of this transaction run only while it is open: one left
      // unawaited by `fn` must not land in whatever uses the connection next.
      const state = { open: true };
      try {
        statements.get('BEGIN IMMEDIATE').run();
        let result: T;
        try {
          result = await fn(transactionSql(state));
          state.open = false;
          statements.get('COMMIT').run();
        } catch (err) {
          state.open = false;
          rollBack(conn, err);
          throw err;
        }
        return result;
      } finally {
        state.open = false;
        mutex.release();
      }
    },
    async close() {
      await mutex.acquire();
      try {
        await checkpointer?.stop();
        conn.close();
      } finally {
        mutex.release();
      }
    },
  };
}

/** Rolls back after `cause` (which stays the error); a connection left inside its transaction is logged and rolled back again next time. */
function rollBack(conn: BetterSqlite3.Database, cause: unknown): void {
  try {
    if (conn.inTransaction) conn.exec('ROLLBACK');
  } catch (err) {
    console.error('SQLite ROLLBACK failed after', cause, err);
  }
}

/**
 * A first-come first-served lock: `acquire` resolves when the holder before
 * releases. `free` says whether nobody holds it or waits for it.
 */
class Mutex {
  private held = false;
  private readonly waiters: (() => void)[] = [];

  get free(): boolean {
    return !this.held && this.waiters.length === 0;
  }

  acquire(): Promise<void> {
    if (this.free) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Hands the lock to the next waiter, or frees it. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.held = false;
  }
}

// ---- PostgreSQL ----------------------------------------------------------------

let pgTypesSet = false;
/**
 * Counts and epoch-millisecond columns are BIGINT; they fit a JS number, so
 * read them as numbers on PostgreSQL the way SQLite already returns them.
 * Loaded with the first PostgreSQL database only: on SQLite the driver is
 * never needed (≈3 MiB of the server's memory).
 */
function loadPg(): typeof PgModule {
  const pg = require('pg') as typeof PgModule;
  if (!pgTypesSet) {
    pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));
    pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
    pgTypesSet = true;
  }
  return pg;
}

const numbered = new Map<string, string>();
/**
 * `?` placeholders as PostgreSQL's `$1, $2…`, cached per SQL text. The SQL
 * comes from code; a `?` inside a quoted literal or identifier is left alone.
 */
export function numberPlaceholders(sql: string): string {
  let text = numbered.get(sql);
  if (text !== undefined) return text;
  let n = 0;
  let quote: string | undefined;
  text = '';
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '?') {
      text += `$${++n}`;
      continue;
    }
    text += ch;
  }
  if (numbered.size >= STATEMENT_CACHE_SIZE * 4) numbered.clear();
  numbered.set(sql, text);
  return text;
}

/** How many SQL texts one process keeps prepared on its PostgreSQL connections. */
export const POSTGRES_PREPARED_MAX = 250;

/**
 * Named (server-side prepared) statements on PostgreSQL: an
 * unnamed statement is parsed and planned anew on every run, which cost the
 * device API's report about half its database time. A SQL text run a second
 * time gets a name (`q<n>`); pg then parses it once per connection and later
 * only binds and executes it. At most POSTGRES_PREPARED_MAX texts are named,
 * so texts that vary (an `IN (?, ?…)` of each length) cannot grow what every
 * connection keeps; the rest run unnamed as before.
 *
 * A prepared `SELECT *` fails with "cached plan must not change result type"
 * (0A000) after its table's columns change under a running instance (another
 * instance migrating): the text then gets a fresh name, so every connection
 * prepares it again, and a statement outside a transaction is retried once.
 */
class PreparedNames {
  private readonly names = new Map<string, string | null>();
  private next = 0;

  /** The name to run `text` under, or undefined to run it unnamed. */
  nameOf(text: string): string | undefined {
    const name = this.names.get(text);
    if (name) return name;
    if (name === undefined) {
      // First run: unnamed; remembered (within the bound) for the next.
      if (this.names.size < POSTGRES_PREPARED_MAX * 2) this.names.set(text, null);
      return undefined;
    }
    if (this.next >= POSTGRES_PREPARED_MAX) return undefined;
    const fresh = `q${++this.next}`;
    this.names.set(text, fresh);
    return fresh;
  }

  /** The prepared plan of `text` is stale: the next run prepares it under a new name. */
  renew(text: string): void {
    if (this.names.get(text)) this.names.set(text, `q${++this.next}`);
  }
}

const STALE_PLAN = '0A000';

interface QueryConfig {
  text: string;
  values: unknown[];
  name?: string;
}

interface Queryable {
  query(config: QueryConfig): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

function openPostgres(url: string, opts: DatabaseOptions): Database {
  const pg = loadPg();
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolMax ?? 10,
    // The schema tests work in, for every connection of the pool.
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (err) => console.error('PostgreSQL idle client error:', err.message));

  const prepared = new PreparedNames();
  const query = async (on: Queryable, sql: string, bindings: readonly SqlValue[], inTransaction: boolean) => {
    const text = numberPlaceholders(sql);
    const values = bindings as unknown[];
    const name = prepared.nameOf(text);
    if (!name) return on.query({ text, values });
    try {
      return await on.query({ name, text, values });
    } catch (err) {
      if ((err as { code?: string }).code !== STALE_PLAN) throw err;
      prepared.renew(text);
      // Inside a transaction the error has aborted it: the caller's transaction fails (and may be retried whole).
      if (inTransaction) throw err;
      return on.query({ text, values });
    }
  };

  function statementsOn(on: Queryable, check: () => void, inTransaction: boolean): Omit<Sql, 'transaction'> {
    return {
      postgres: true,
      rows: async <T>(sql: string, bindings: readonly SqlValue[] = []) => (check(), (await query(on, sql, bindings, inTransaction)).rows as T[]),
      first: async <T>(sql: string, bindings: readonly SqlValue[] = []) => (check(), (await query(on, sql, bindings, inTransaction)).rows[0] as T | undefined),
      run: async (sql: string, bindings: readonly SqlValue[] = []) => (check(), (await query(on, sql, bindings, inTransaction)).rowCount ?? 0),
    };
  }

  /**
   * One client runs one query at a time: statements a transaction starts
   * together (a `Promise.all`) are sent one after the other, in the order
   * they were started, rather than queued inside pg (deprecated in pg 8).
   */
  function serialized(client: PgModule.PoolClient): Queryable {
    let tail: Promise<unknown> = Promise.resolve();
    return {
      query(config) {
        const result = tail.then(() => client.query(config));
        tail = result.catch(() => undefined);
        return result;
      },
    };
  }

  let savepoints = 0;
  function transactionSql(state: { open: boolean }, on: Queryable): Sql {
    const check = () => {
      if (!state.open) throw new Error('Transaction query already complete');
    };
    return {
      ...statementsOn(on, check, true),
      transaction: async <T>(fn: (sql: Sql) => Promise<T>) => {
        check();
        const name = `sp_${++savepoints}`;
        await on.query({ text: `SAVEPOINT ${name}`, values: [] });
        const inner = { open: true };
        try {
          const result = await fn(transactionSql(inner, on));
          inner.open = false;
          check();
          await on.query({ text: `RELEASE SAVEPOINT ${name}`, values: [] });
          return result;
        } catch (err) {
          inner.open = false;
          if (state.open) await on.query({ text: `ROLLBACK TO SAVEPOINT ${name}`, values: [] });
          throw err;
        }
      },
    };
  }

  return {
    ...statementsOn(pool, () => undefined, false),
    async transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
      // A dedicated client for the whole transaction.
      const client = await pool.connect();
      // BEGIN, the statements and COMMIT/ROLLBACK go out in the order they were started.
      const on = serialized(client);
      const state = { open: true };
      let broken: Error | undefined;
      try {
        await on.query({ text: 'BEGIN', values: [] });
        let result: T;
        try {
          result = await fn(transactionSql(state, on));
          state.open = false;
          await on.query({ text: 'COMMIT', values: [] });
        } catch (err) {
          state.open = false;
          await on.query({ text: 'ROLLBACK', values: [] }).catch((rollbackErr: Error) => {
            // A client whose ROLLBACK failed is not reused.
            broken = rollbackErr;
          });
          throw err;
        }
        return result;
      } finally {
        state.open = false;
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
}

// ---- helpers -----------------------------------------------------------------

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
export async function insertReturningId(db: Sql, table: string, row: Record<string, SqlValue>): Promise<number> {
  const { sql, bindings } = insertSql(table, [row], 'id');
  const inserted = await db.first<{ id: number | string }>(sql, bindings);
  return Number(inserted!.id);
}

/** Inserts rows (nothing for none). */
export async function insertRows(db: Sql, table: string, rows: readonly Record<string, SqlValue>[]): Promise<void> {
  if (rows.length === 0) return;
  const { sql, bindings } = insertSql(table, rows);
  await db.run(sql, bindings);
}

/** `?, ?, ?` for an `IN (…)` of `n` values; callers handle an empty list before asking. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/**
 * `a = ?, b = ?` for an UPDATE's SET, of the columns given (a column left
 * `undefined` is left alone, as in a partial patch). Column names come from
 * code, never from input.
 */
export function setClause(values: Record<string, SqlValue | undefined>): { sql: string; bindings: SqlValue[] } {
  const columns = Object.keys(values).filter((c) => values[c] !== undefined);
  if (columns.length === 0) throw new Error('update without columns');
  return { sql: columns.map((c) => `${c} = ?`).join(', '), bindings: columns.map((c) => values[c]!) };
}
