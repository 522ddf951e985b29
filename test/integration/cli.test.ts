import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

// The CLI is dialect-agnostic plumbing; it runs once, on a SQLite file.
const describeOnce = process.env.TEST_DB === 'postgres' ? describe.skip : describe;

async function cli(dir: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      env: { ...process.env, SQLITE_FILE: join(dir, 'cli.sqlite'), DATABASE_URL: '', NODE_ENV: 'development', LOG_LEVEL: 'silent' },
      cwd: process.cwd(),
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describeOnce('npm run cli (R12.1, R2.4)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orgplane-cli-'));

  it('migrate applies the migrations once, with the plans seeded (R7.2)', async () => {
    const first = await cli(dir, 'migrate');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Applied \d+ migrations/);
    const second = await cli(dir, 'migrate');
    expect(second.stdout).toContain('Already up to date.');
    const db = new Database(join(dir, 'cli.sqlite'), { readonly: true });
    const plans = db.prepare('select code, price_cents from plans order by sort_order').all();
    db.close();
    expect(plans).toEqual([
      { code: 'sandbox', price_cents: 0 },
      { code: 'starter', price_cents: 25000 },
      { code: 'professional', price_cents: 100000 },
      { code: 'business', price_cents: 250000 },
    ]);
  }, 60_000);

  it('admin:create creates a platform admin, then promotes an existing account', async () => {
    const created = await cli(dir, 'admin:create', 'ops@example.com', '--password', 'a long admin password');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('Created platform admin ops@example.com');
    const again = await cli(dir, 'admin:create', 'OPS@example.com');
    expect(again.stdout).toContain('ops@example.com is now a platform admin.');
    const generated = await cli(dir, 'admin:create', 'second@example.com');
    expect(generated.stdout).toMatch(/Password \(shown once\): \S{12,}/);
    const db = new Database(join(dir, 'cli.sqlite'), { readonly: true });
    const admins = db.prepare('select email from users where is_platform_admin = 1 order by email').all();
    db.close();
    expect(admins).toEqual([{ email: 'ops@example.com' }, { email: 'second@example.com' }]);
  }, 60_000);

  it('refuses bad input with a message and exit code 2', async () => {
    expect((await cli(dir, 'admin:create')).code).toBe(2);
    const bad = await cli(dir, 'admin:create', 'not-an-email');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a valid email address');
    const badAt = await cli(dir, 'scheduler:run', '--at', 'yesterday');
    expect(badAt.code).toBe(2);
    expect(badAt.stderr).toContain('--at needs an ISO-8601 instant');
    expect((await cli(dir, 'frobnicate')).stderr).toContain('Unknown command "frobnicate"');
  }, 60_000);

  it('scheduler:run runs one pass at the given instant', async () => {
    const res = await cli(dir, 'scheduler:run', '--at', '2026-05-01T00:00:00Z');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Scheduler pass at 2026-05-01T00:00:00.000Z');
    expect(res.stdout).toContain('ok   sessions:purge-expired');
  }, 60_000);
});
