import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { createKnex } from './knex.ts';
import type { DatabaseOptions } from './sql.ts';

// Run from source (this file under tsx or Vitest) the migrations are the
// TypeScript files of migrations/. Run from the production build (this code
// bundled into dist/server.js or dist/cli.js by scripts/build.mjs) they are
// the same files compiled to dist/migrations/*.js.
const here = dirname(fileURLToPath(import.meta.url));
const compiled = !import.meta.url.endsWith('.ts');
const migrationsDir = compiled ? join(here, 'migrations') : join(here, '..', '..', 'migrations');
const extension = compiled ? '.js' : '.ts';

interface MigrationModule {
  up: (knex: Knex) => Promise<void>;
  down?: (knex: Knex) => Promise<void>;
}

/**
 * Loads the dated files of migrations/, so the same migrations run under
 * `npm start`, the CLI, tests and the Docker image. A migration is known to
 * knex by its source name (`20261129-0001-create-users.ts`) whichever file
 * runs it, so a database migrated from source and one migrated by the build
 * record the same names.
 */
class DirectoryMigrationSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return readdirSync(migrationsDir)
      .filter((f) => /^\d{8}/.test(f) && f.endsWith(extension))
      .map((f) => f.slice(0, -extension.length) + '.ts')
      .sort();
  }
  getMigrationName(migration: string): string {
    return migration;
  }
  async getMigration(migration: string): Promise<Knex.Migration> {
    const file = migration.slice(0, -'.ts'.length) + extension;
    const mod = (await import(pathToFileURL(join(migrationsDir, file)).href)) as MigrationModule;
    return {
      up: mod.up,
      down:
        mod.down ??
        (async () => {
          throw new Error(`${migration} is irreversible`);
        }),
    };
  }
}

/** How long an instance waits for another one's migrations before giving up. */
const LOCK_WAIT_MS = 60_000;

/**
 * Applies the pending migrations with a knex of its own, destroyed before
 * the application opens its `Sql` layer. Several instances may start at
 * once on one database: one takes knex's migration lock, the others wait and
 * retry until it is done (then find nothing left to apply). Creating knex's
 * bookkeeping tables on a fresh database can race the same way.
 */
export async function migrateLatest(opts: DatabaseOptions, wait: { timeoutMs?: number; sleep?: (ms: number) => Promise<void> } = {}): Promise<string[]> {
  const sleep = wait.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const timeoutMs = wait.timeoutMs ?? LOCK_WAIT_MS;
  let waited = 0;
  for (let attempt = 0; ; attempt++) {
    const knex = createKnex(opts);
    try {
      return await migrateWith(knex);
    } catch (err) {
      if (anotherInstanceMigrating(err)) await repairLockRow(knex);
      if (!anotherInstanceMigrating(err) || waited >= timeoutMs) {
        if (anotherInstanceMigrating(err)) {
          throw new Error(`migrations: still locked by another instance after ${Math.round(waited / 1000)} s (knex_migrations_lock); if no instance is migrating, a crashed one left it set: UPDATE knex_migrations_lock SET is_locked = 0`, { cause: err });
        }
        throw err;
      }
    } finally {
      await knex.destroy();
    }
    // Jittered, so two instances repairing the lock row do not keep meeting.
    const pause = Math.round(Math.min(50 * 2 ** attempt, 1_000) * (0.5 + Math.random() / 2));
    await sleep(pause);
    waited += pause;
  }
}

/**
 * knex takes its lock by setting `is_locked` on the one row of
 * knex_migrations_lock and counts on updating exactly one row. Two instances
 * creating that table at once on a fresh database can each see it empty and
 * each insert a row; with two rows (or none) no instance could ever take the
 * lock again, and every start would wait and fail. Nobody can hold the lock
 * while the row count is wrong, so putting it back to one unlocked row is
 * safe, and two instances doing it at once converge on the same row.
 */
async function repairLockRow(knex: Knex): Promise<void> {
  try {
    const rows = (await knex('knex_migrations_lock').select('index').orderBy('index')) as { index: number }[];
    if (rows.length > 1) await knex('knex_migrations_lock').where('index', '>', rows[0]!.index).delete();
    else if (rows.length === 0) await knex('knex_migrations_lock').insert({ is_locked: 0 });
  } catch {
    // The table is still being created by the other instance: the next attempt looks again.
  }
}

/** knex's lock held by another instance, or two instances creating knex's own tables at once. */
function anotherInstanceMigrating(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: string };
  if (e?.name === 'MigrationLocked') return true;
  // Both instances creating knex's own tables, or its lock row, on a fresh
  // database: a duplicate table, or a unique violation (on PostgreSQL also
  // in the catalog's index of type names).
  const message = String(e?.message);
  if (/knex_migrations/.test(message) && /already exists|UNIQUE constraint|duplicate key/i.test(message)) return true;
  if (e?.code === '23505' && /pg_type_typname/.test(message)) return true;
  // SQLite: the other instance holds the write lock past busy_timeout.
  return e?.code === 'SQLITE_BUSY';
}

async function migrateWith(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource: new DirectoryMigrationSource() })) as [
    number,
    string[],
  ];
  return applied;
}
