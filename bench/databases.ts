import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { createKnex, isPostgresKnex } from '../src/db/knex.ts';
import { migrateLatest } from '../src/db/migrate.ts';
import { openDatabase, type Database, type DatabaseOptions } from '../src/db/sql.ts';

export type Dialect = 'sqlite' | 'postgres';

/**
 * One database the bench seeds and serves: a SQLite file under data/bench/,
 * or a PostgreSQL database of its own (created here, dropped in `drop`), so a
 * server process started with the same environment sees the same data.
 */
export interface BenchDatabase {
  name: string;
  dialect: Dialect;
  /** What the server process needs to use it: SQLITE_FILE or DATABASE_URL. */
  env: Record<string, string>;
  open(): BenchHandle;
  drop(): Promise<void>;
}

/**
 * The bench's hands on a database: the application's statement layer (for
 * its use cases), and knex for bulk seeding and inspection.
 */
export interface BenchHandle {
  sql: Database;
  knex: Knex;
  close(): Promise<void>;
}

function openHandle(options: DatabaseOptions): BenchHandle {
  const sql = openDatabase(options);
  const knex = createKnex(options);
  return {
    sql,
    knex,
    async close() {
      await sql.close();
      await knex.destroy();
    },
  };
}

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const benchDir = resolve('data', 'bench');

export function postgresUrl(): string {
  return process.env.TEST_DATABASE_URL || DEFAULT_POSTGRES_URL;
}

const runId = randomBytes(3).toString('hex');

export async function createBenchDatabase(dialect: Dialect, name: string): Promise<BenchDatabase> {
  if (dialect === 'sqlite') {
    mkdirSync(benchDir, { recursive: true });
    const file = join(benchDir, `${name}.sqlite`);
    removeSqlite(file);
    await migrateLatest({ sqliteFile: file });
    return {
      name,
      dialect,
      env: { SQLITE_FILE: file },
      open: () => openHandle({ sqliteFile: file }),
      drop: async () => removeSqlite(file),
    };
  }
  const base = new URL(postgresUrl());
  const database = `orgplane_bench_${runId}_${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
  const admin = knexFactory({ client: 'pg', connection: base.toString(), pool: { min: 0, max: 1 } });
  try {
    await admin.raw('DROP DATABASE IF EXISTS ??', [database]);
    await admin.raw('CREATE DATABASE ??', [database]);
  } finally {
    await admin.destroy();
  }
  const url = new URL(base.toString());
  url.pathname = `/${database}`;
  await migrateLatest({ databaseUrl: url.toString() });
  return {
    name,
    dialect,
    env: { DATABASE_URL: url.toString() },
    open: () => openHandle({ databaseUrl: url.toString() }),
    drop: async () => {
      const a = knexFactory({ client: 'pg', connection: base.toString(), pool: { min: 0, max: 1 } });
      try {
        await a.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [database]);
      } finally {
        await a.destroy();
      }
    },
  };
}

function removeSqlite(file: string) {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
}

/** After rows were inserted with explicit ids, moves PostgreSQL's sequences past them. */
export async function resetSequences(db: Knex, tables: string[]): Promise<void> {
  if (!isPostgresKnex(db)) return;
  for (const table of tables) {
    await db.raw(`SELECT setval(pg_get_serial_sequence(?, 'id'), GREATEST((SELECT MAX(id) FROM ??), 1))`, [table, table]);
  }
}
