// Issue #9 (performance), §0 (the SQLite file) and R8.1 (a 202 means stored): the WAL of a SQLite file is checkpointed
// by a worker thread, not by whichever request's commit crosses the
// threshold. Committed data must reach the database file without the
// server's connection checkpointing, and closing the database must stop the
// worker after a last checkpoint. (SQLite files only: skipped in the
// PostgreSQL run, where there is nothing of this.)
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startCheckpointer } from '../../src/db/checkpointer.ts';
import { openDatabase } from '../../src/db/sql.ts';

const dir = mkdtempSync(join(tmpdir(), 'orgplane-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Frames in the WAL not yet copied into the database file, as a fresh connection sees them. */
function walBacklog(file: string): number {
  const conn = new Database(file);
  try {
    // A PASSIVE checkpoint of nothing reports [busy, frames in log, frames checkpointed].
    const [row] = conn.pragma('wal_checkpoint(NOOP)' as string) as { log: number; checkpointed: number }[];
    return row ? row.log - row.checkpointed : 0;
  } catch {
    return -1;
  } finally {
    conn.close();
  }
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(process.env.TEST_DB === 'postgres')('background WAL checkpoints of the SQLite file (§0, R8.1)', () => {
  it('copies committed pages into the database file while the server connection never checkpoints', async () => {
    const file = join(dir, 'a.sqlite');
    const db = openDatabase({ sqliteFile: file, backgroundCheckpoints: true });
    try {
      await db.run('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)');
      for (let i = 0; i < 200; i++) await db.run('INSERT INTO t (v) VALUES (?)', ['x'.repeat(2000)]);
      // The server's connection would checkpoint only past 16,384 pages; the worker does it within a second or so.
      await until(() => walBacklog(file) === 0);
      const sizeAfter = statSync(file).size;
      expect(sizeAfter).toBeGreaterThan(200 * 2000);
      expect(await db.rows('SELECT COUNT(*) AS n FROM t')).toEqual([{ n: 200 }]);
    } finally {
      await db.close();
    }
  });

  it('closes with the worker and keeps what was committed', async () => {
    const file = join(dir, 'b.sqlite');
    const db = openDatabase({ sqliteFile: file, backgroundCheckpoints: true });
    await db.run('CREATE TABLE t (v TEXT)');
    await db.run('INSERT INTO t (v) VALUES (?)', ['kept']);
    await db.close();
    const conn = new Database(file, { readonly: true });
    try {
      expect(conn.prepare('SELECT v FROM t').all()).toEqual([{ v: 'kept' }]);
    } finally {
      conn.close();
    }
  });

  it('reports a checkpoint that fails instead of failing silently', async () => {
    const errors: string[] = [];
    const missing = join(dir, 'no-such-dir', 'c.sqlite');
    const checkpointer = startCheckpointer(missing, { intervalMs: 50, onError: (m) => errors.push(m) });
    await until(() => errors.length > 0);
    await checkpointer.stop();
    expect(errors[0]).toMatch(/directory|open/i);
    expect(existsSync(missing)).toBe(false);
  });
});
