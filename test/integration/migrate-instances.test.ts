// Issue 15 (one data-access style): knex only runs the migrations, on a
// connection of its own. Instances started together on one fresh database
// must not fail on knex's migration lock: one migrates, the others wait for
// it and find nothing left to apply.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createKnex } from '../../src/db/knex.ts';
import { migrateLatest } from '../../src/db/migrate.ts';
import { openDatabase, type DatabaseOptions } from '../../src/db/sql.ts';

const postgres = process.env.TEST_DB === 'postgres';
const scratch = join('/dev/shm', `orgplane-migrate-${process.pid}-${randomBytes(4).toString('hex')}`);

let admin: Knex | undefined;
const schemas: string[] = [];

/** A database nobody has migrated yet: a schema of its own on PostgreSQL, a new file on SQLite. */
async function freshDatabase(): Promise<DatabaseOptions> {
  if (postgres) {
    const url = process.env.TEST_DATABASE_URL!;
    admin ??= knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    const schema = `m_${randomBytes(6).toString('hex')}`;
    await admin.raw('CREATE SCHEMA ??', [schema]);
    schemas.push(schema);
    return { databaseUrl: url, schema };
  }
  mkdirSync(scratch, { recursive: true });
  return { sqliteFile: join(scratch, `${randomBytes(6).toString('hex')}.sqlite`) };
}

async function appliedMigrations(options: DatabaseOptions): Promise<string[]> {
  const knex = createKnex(options);
  try {
    return (await knex('knex_migrations').orderBy('id').select('name')).map((r: { name: string }) => r.name);
  } finally {
    await knex.destroy();
  }
}

afterAll(async () => {
  if (admin) {
    for (const schema of schemas) await admin.raw('DROP SCHEMA ?? CASCADE', [schema]);
    await admin.destroy();
  }
  rmSync(scratch, { recursive: true, force: true });
});

describe('migrations when several instances start at once (issue 15)', () => {
  it('two instances in one process: one applies every migration, the other waits and applies none', async () => {
    const options = await freshDatabase();
    const [a, b] = await Promise.all([migrateLatest(options), migrateLatest(options)]);
    const all = await appliedMigrations(options);
    expect(all.length).toBeGreaterThan(10);
    // Each migration applied exactly once, by one of the two.
    expect([...a, ...b].sort()).toEqual([...all].sort());
    expect(new Set(all).size).toBe(all.length);
    // And the application's layer opens on the result.
    const db = openDatabase(options);
    try {
      expect(await db.first('SELECT COUNT(*) AS n FROM plans')).toEqual({ n: expect.any(Number) });
    } finally {
      await db.close();
    }
  }, 60_000);

  it('two processes at once, as two servers starting on one database, both start', async () => {
    const options = await freshDatabase();
    const script = `import { migrateLatest } from './src/db/migrate.ts';
      const applied = await migrateLatest(JSON.parse(process.env.MIGRATE_OPTIONS));
      process.stdout.write(JSON.stringify(applied));`;
    const run = () =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          env: { ...process.env, MIGRATE_OPTIONS: JSON.stringify(options) },
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += String(d)));
        child.stderr.on('data', (d) => (err += String(d)));
        child.on('exit', (code) => resolve({ code, out, err }));
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.err + b.err).toBe('');
    expect([a.code, b.code]).toEqual([0, 0]);
    const applied = [...(JSON.parse(a.out) as string[]), ...(JSON.parse(b.out) as string[])];
    const all = await appliedMigrations(options);
    expect(applied.sort()).toEqual([...all].sort());
  }, 90_000);

  // The CI failure of stop 20: two processes creating knex's lock table on a
  // fresh PostgreSQL database each inserted its row; knex then takes the lock
  // only when it updates exactly one row, so both waited 60 s and failed.
  for (const rows of [2, 3]) {
    it(`recovers when the lock table holds ${rows} rows instead of one (a race of two first starts)`, async () => {
      const options = await freshDatabase();
      await migrateLatest(options);
      const knex = createKnex(options);
      try {
        await knex('knex_migrations_lock').delete();
        for (let i = 0; i < rows; i++) await knex('knex_migrations_lock').insert({ is_locked: 0 });
        // Undo the last migration so one is pending and knex must take its lock.
        const last = await knex('knex_migrations').orderBy('id', 'desc').first('id', 'name');
        const migration = (await import(`../../migrations/${last.name}`)) as { down: (k: Knex) => Promise<void> };
        await migration.down(knex);
        await knex('knex_migrations').where({ id: last.id }).delete();
        await expect(migrateLatest(options, { timeoutMs: 3_000 })).resolves.toEqual([last.name]);
        expect(await knex('knex_migrations_lock').select('is_locked')).toEqual([{ is_locked: 0 }]);
      } finally {
        await knex.destroy();
      }
    }, 30_000);
  }

  it('gives up with a clear message when the lock stays taken', async () => {
    const options = await freshDatabase();
    await migrateLatest(options);
    const knex = createKnex(options);
    try {
      await knex('knex_migrations_lock').update({ is_locked: 1 });
      // A migration is pending only if one is missing: forget the last one so knex must take the lock.
      const last = await knex('knex_migrations').orderBy('id', 'desc').first('id');
      await knex('knex_migrations').where({ id: last.id }).delete();
    } finally {
      await knex.destroy();
    }
    // knex's own "Can't take lock" warnings go nowhere: it writes them with
    // console.log, onto the standard output a server's JSON log uses (the
    // CI failure of stop 21: a waiting process printed them there).
    const log = vi.spyOn(console, 'log');
    try {
      await expect(migrateLatest(options, { timeoutMs: 200 })).rejects.toThrow(/still locked by another instance/);
      expect(log).not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
    }
  }, 30_000);
});
