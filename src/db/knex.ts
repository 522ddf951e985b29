import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { DatabaseOptions } from './sql.ts';

/**
 * knex, for what it is kept for: running the migrations (migrate.ts) and, in
 * tests and the bench, a handle to set up and inspect the same database. The
 * application itself reaches the database only through `Sql` (sql.ts).
 * Opened and destroyed around its use; it never shares a connection with the
 * application's layer.
 */
export function createKnex(opts: DatabaseOptions, log: Knex.Logger = quietLog): Knex {
  if (opts.databaseUrl) {
    return knexFactory({
      log,
      client: 'pg',
      connection: opts.databaseUrl,
      searchPath: opts.schema ? [opts.schema] : undefined,
      pool: { min: 0, max: opts.poolMax ?? 2 },
    });
  }
  const file = opts.sqliteFile ?? ':memory:';
  if (file === ':memory:') throw new Error('knex needs a SQLite file: an in-memory database is not shared with the application');
  mkdirSync(dirname(file), { recursive: true });
  return knexFactory({
    log,
    client: 'better-sqlite3',
    connection: { filename: file },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: { pragma(source: string): unknown }, done: (err: Error | null, conn: unknown) => void) => {
        conn.pragma('journal_mode = WAL');
        conn.pragma('foreign_keys = ON');
        conn.pragma('busy_timeout = 5000');
        done(null, conn);
      },
    },
  });
}

/**
 * knex writes its warnings with console.log, onto the server's standard
 * output where the JSON request log goes. They go to standard error
 * instead, except the one the migrations expect and handle: "Can't take
 * lock to run migrations" when another instance is migrating (migrate.ts
 * waits and retries).
 */
const expectedLockWarning = /^Can't take lock to run migrations|^If you are sure migrations are not running/;
const quietLog: Knex.Logger = {
  warn(message: unknown) {
    if (typeof message === 'string' && expectedLockWarning.test(message)) return;
    process.stderr.write(`knex: ${typeof message === 'string' ? message : JSON.stringify(message)}\n`);
  },
  error(message: unknown) {
    process.stderr.write(`knex: ${typeof message === 'string' ? message : JSON.stringify(message)}\n`);
  },
  deprecate(method: string, alternative: string) {
    process.stderr.write(`knex: ${method} is deprecated, use ${alternative}\n`);
  },
};

export function isPostgresKnex(knex: Knex): boolean {
  return knex.client.config.client === 'pg';
}
