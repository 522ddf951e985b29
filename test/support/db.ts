import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { createDb, type Db } from '../../src/db/knex.ts';
import { migrateLatest } from '../../src/db/migrate.ts';

export interface TestDb {
  db: Db;
  dialect: 'sqlite' | 'postgres';
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: an in-memory SQLite database,
 * or (TEST_DB=postgres) a schema of its own on TEST_DATABASE_URL, dropped after.
 */
export async function createTestDb(opts: { sqliteFile?: string } = {}): Promise<TestDb> {
  if (process.env.TEST_DB === 'postgres') {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('TEST_DB=postgres needs TEST_DATABASE_URL');
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    await admin.raw('CREATE SCHEMA ??', [schema]);
    const db = createDb({ databaseUrl: url, schema, poolMax: 5 });
    await migrateLatest(db);
    return {
      db,
      dialect: 'postgres',
      async drop() {
        await db.destroy();
        await admin.raw('DROP SCHEMA ?? CASCADE', [schema]);
        await admin.destroy();
      },
    };
  }
  const db = createDb({ sqliteFile: opts.sqliteFile ?? ':memory:' });
  await migrateLatest(db);
  return { db, dialect: 'sqlite', drop: () => db.destroy() };
}
