import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { createKnex } from '../../src/db/knex.ts';
import { migrateLatest } from '../../src/db/migrate.ts';
import { openDatabase, type Database, type DatabaseOptions } from '../../src/db/sql.ts';

export interface TestDb {
  /** The application's statement layer (what Deps.db holds). */
  db: Database;
  /**
   * A knex handle on the same database, for tests to set up and inspect rows
   * (never handed to application code). On SQLite it is a second connection
   * to the same file.
   */
  knex: Knex;
  dialect: 'sqlite' | 'postgres';
  /** Where the database is, to open another handle on it (a second instance, say). */
  options: DatabaseOptions;
  drop(): Promise<void>;
}

/** SQLite files of tests live in memory-backed /dev/shm where there is one, else the OS temp dir. */
const TEST_SQLITE_DIR = join(existsSync('/dev/shm') ? '/dev/shm' : (process.env.TMPDIR ?? '/tmp'), 'orgplane-tests');

/**
 * A fresh, migrated database for one test file: a SQLite file of its own
 * (removed after), or (TEST_DB=postgres) a schema of its own on
 * TEST_DATABASE_URL, dropped after. Migrations run the way the application
 * runs them: knex migrates and is closed, then the statement layer opens.
 */
export async function createTestDb(opts: { sqliteFile?: string } = {}): Promise<TestDb> {
  if (process.env.TEST_DB === 'postgres') {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('TEST_DB=postgres needs TEST_DATABASE_URL');
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    await admin.raw('CREATE SCHEMA ??', [schema]);
    const options = { databaseUrl: url, schema, poolMax: 5 };
    await migrateLatest(options);
    const db = openDatabase(options);
    const knex = createKnex({ ...options, poolMax: 2 });
    return {
      db,
      knex,
      dialect: 'postgres',
      options,
      async drop() {
        await db.close();
        await knex.destroy();
        await admin.raw('DROP SCHEMA ?? CASCADE', [schema]);
        await admin.destroy();
      },
    };
  }
  mkdirSync(TEST_SQLITE_DIR, { recursive: true });
  const own = opts.sqliteFile === undefined;
  const file = opts.sqliteFile ?? join(TEST_SQLITE_DIR, `${process.pid}-${randomBytes(6).toString('hex')}.sqlite`);
  const options = { sqliteFile: file };
  await migrateLatest(options);
  const db = openDatabase(options);
  const knex = createKnex(options);
  return {
    db,
    knex,
    dialect: 'sqlite',
    options,
    async drop() {
      await db.close();
      await knex.destroy();
      if (own) for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
    },
  };
}
