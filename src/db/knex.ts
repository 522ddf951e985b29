import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { createRequire } from 'node:module';
import type PgModule from 'pg';
import { startCheckpointer } from './checkpointer.ts';

export type Db = Knex;
export type DbOrTrx = Knex | Knex.Transaction;

const require = createRequire(import.meta.url);
let pgTypesSet = false;
/**
 * Counts and epoch-millisecond columns are BIGINT; they fit a JS number, so
 * read them as numbers on PostgreSQL the way SQLite already returns them.
 * Loaded with the first PostgreSQL database only: on SQLite the driver is
 * never needed (≈3 MiB of the server's memory).
 */
function setPgTypeParsers(): void {
  if (pgTypesSet) return;
  const pg = require('pg') as typeof PgModule;
  pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));
  pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
  pgTypesSet = true;
}

export interface DbOptions {
  databaseUrl?: string | undefined;
  sqliteFile?: string;
  /** PostgreSQL schema to work in (tests give each file its own). */
  schema?: string;
  poolMax?: number;
  /** SQLite file: checkpoint the WAL from a worker thread instead of the committing request (checkpointer.ts). */
  backgroundCheckpoints?: boolean;
}

export function isPostgres(db: Knex): boolean {
  return db.client.config.client === 'pg';
}

export function createDb(opts: DbOptions): Knex {
  if (opts.databaseUrl) {
    setPgTypeParsers();
    return knexFactory({
      client: 'pg',
      connection: opts.databaseUrl,
      searchPath: opts.schema ? [opts.schema] : undefined,
      pool: { min: 0, max: opts.poolMax ?? 10 },
    });
  }
  const file = opts.sqliteFile ?? ':memory:';
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const background = opts.backgroundCheckpoints === true && file !== ':memory:';
  let checkpointerRunning = background;
  const db = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: file },
    useNullAsDefault: true,
    // One connection: SQLite has one writer anyway, and better-sqlite3 is
    // synchronous, so a single connection serializes transactions cleanly.
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) => {
        cacheStatements(conn);
        conn.pragma('journal_mode = WAL');
        conn.pragma('synchronous = NORMAL');
        conn.pragma('foreign_keys = ON');
        conn.pragma('busy_timeout = 5000');
        // With a background checkpointer this connection checkpoints only if that falls far behind.
        if (checkpointerRunning) conn.pragma('wal_autocheckpoint = 16384');
        done(null, conn);
      },
    },
  });
  if (!background) return db;
  const checkpointer = startCheckpointer(file, {
    onError: (message) => console.error(`SQLite background checkpoint failed: ${message}`),
    // Without the worker, this connection checkpoints at SQLite's default again.
    onUnexpectedExit: () => {
      checkpointerRunning = false;
      console.error('SQLite background checkpointer stopped; checkpoints return to the server connection');
      db.raw('PRAGMA wal_autocheckpoint = 1000').catch(() => undefined);
    },
  });
  // knex.destroy() ends in client.destroy(): stop the checkpointer (after a last checkpoint) first.
  const client = db.client as { destroy: (callback?: unknown) => Promise<unknown> };
  const destroy = client.destroy.bind(client);
  client.destroy = async (callback?: unknown) => {
    await checkpointer.stop();
    return destroy(callback);
  };
  return db;
}

interface SqliteStatement {
  busy: boolean;
}
interface SqliteConnection {
  pragma(source: string): unknown;
  prepare(source: string): SqliteStatement;
}

/** How many prepared statements a SQLite connection keeps (least recently used go first). */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * knex prepares every statement anew on better-sqlite3, and compiling SQL was
 * 3–16 % of every profiled request (issue #9). The connection keeps the
 * prepared statements of the SQL it has seen, keyed by the exact SQL text, so
 * a statement is compiled once and then only bound and run. Bindings are
 * passed on every run, so nothing of one request is kept for the next. A
 * statement still iterating (busy) is never handed out twice; SQLite itself
 * recompiles a cached statement when the schema changes.
 */
export function cacheStatements(conn: SqliteConnection, size = STATEMENT_CACHE_SIZE): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, SqliteStatement>();
  conn.prepare = (source: string) => {
    const cached = cache.get(source);
    if (cached) {
      if (cached.busy) return prepare(source);
      cache.delete(source);
      cache.set(source, cached);
      return cached;
    }
    const statement = prepare(source);
    if (cache.size >= size) cache.delete(cache.keys().next().value as string);
    cache.set(source, statement);
    return statement;
  };
}
