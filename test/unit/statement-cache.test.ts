// Issue #9 (performance): SQLite connections keep their prepared statements.
// The cache must never change a result: bindings are per run, a busy
// statement is not shared, and schema changes are picked up.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, StatementCache } from '../../src/db/sql.ts';

describe('StatementCache: SQLite keeps prepared statements (§0, issue #9)', () => {
  const open: Database.Database[] = [];
  afterEach(() => {
    for (const conn of open.splice(0)) conn.close();
  });
  function connection(size?: number) {
    const conn = new Database(':memory:');
    open.push(conn);
    let prepared = 0;
    // The cache sees the connection through this counter (nothing of better-sqlite3 is patched).
    const counting = {
      prepare: (source: string) => {
        prepared++;
        return conn.prepare(source);
      },
    };
    const cache = new StatementCache(counting, size);
    conn.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    return { conn, cache, prepared: () => prepared };
  }

  it('compiles the same SQL once and binds each run anew', () => {
    const { cache, prepared } = connection();
    const insert = 'INSERT INTO t (v) VALUES (?)';
    cache.get(insert).run('a');
    cache.get(insert).run('b');
    const select = 'SELECT v FROM t WHERE id = ?';
    expect(cache.get(select).get(1)).toEqual({ v: 'a' });
    expect(cache.get(select).get(2)).toEqual({ v: 'b' });
    expect(cache.get(select).get(3)).toBeUndefined();
    expect(prepared()).toBe(2);
  });

  it('keeps at most its size, dropping the least recently used', () => {
    const { cache, prepared } = connection(2);
    cache.get('SELECT 1');
    cache.get('SELECT 2');
    cache.get('SELECT 1'); // 1 is now the most recent
    cache.get('SELECT 3'); // drops 2
    expect(prepared()).toBe(3);
    cache.get('SELECT 1');
    expect(prepared()).toBe(3);
    cache.get('SELECT 2');
    expect(prepared()).toBe(4);
  });

  it('never hands out a statement that is still iterating', () => {
    const { conn, cache } = connection();
    conn.exec("INSERT INTO t (v) VALUES ('a'), ('b')");
    const sql = 'SELECT v FROM t ORDER BY id';
    const outer = cache.get(sql).iterate() as IterableIterator<{ v: string }>;
    expect(outer.next().value).toEqual({ v: 'a' });
    expect(cache.get(sql).all()).toEqual([{ v: 'a' }, { v: 'b' }]);
    expect(outer.next().value).toEqual({ v: 'b' });
    expect(outer.next().done).toBe(true);
  });

  it('sees schema changes made after a statement was cached', () => {
    const { conn, cache } = connection();
    const sql = 'SELECT * FROM t WHERE id = 1';
    conn.exec("INSERT INTO t (v) VALUES ('a')");
    expect(cache.get(sql).get()).toEqual({ id: 1, v: 'a' });
    conn.exec("ALTER TABLE t ADD COLUMN w TEXT DEFAULT 'x'");
    expect(cache.get(sql).get()).toEqual({ id: 1, v: 'a', w: 'x' });
  });

  it('serves the statements of the database the application opens', async () => {
    const db = openDatabase({ sqliteFile: ':memory:' });
    try {
      await db.run('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)');
      for (const v of ['a', 'b', 'c']) await db.run('INSERT INTO t (v) VALUES (?)', [v]);
      expect(await db.first('SELECT * FROM t WHERE id = ?', [2])).toEqual({ id: 2, v: 'b' });
      expect(await db.first('SELECT * FROM t WHERE id = ?', [3])).toEqual({ id: 3, v: 'c' });
      expect(await db.rows('SELECT COUNT(*) AS n FROM t')).toEqual([{ n: 3 }]);
      await db.run("ALTER TABLE t ADD COLUMN w TEXT DEFAULT 'x'");
      expect(await db.first('SELECT * FROM t WHERE id = ?', [2])).toEqual({ id: 2, v: 'b', w: 'x' });
    } finally {
      await db.close();
    }
  });
});
