import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

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

export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource: new DirectoryMigrationSource() })) as [
    number,
    string[],
  ];
  return applied;
}
