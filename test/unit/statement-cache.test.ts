// Issue #9 (performance): SQLite connections keep their prepared statements.
// The cache must never change a result: bindings are per run, a busy
// statement is not shared, and schema changes are picked up.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheStatements, createDb } from '../../src/db/knex.ts';

describe('cacheStatements: SQLite keeps prepared statements (§0, issue #9)', () => {
  const open: Database.Database[] = [];
  afterEach(() => {
    for (const conn of open.splice(0)) conn.close();
  });
  function connection(size?: number) {
    const conn = new Database(':memory:');
    open.push(conn);
    let prepared = 0;
    const prepare = conn.prepare.bind(conn);
    conn.prepare = ((source: string) => {
      prepared++;
      return prepare(source);
    }) as typeof conn.prepare;
    cacheStatements(conn as never, size);
    conn.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    return { conn, prepared: () => prepared };
  }

  it('compiles the same SQL once and binds each run anew', () => {
    const { conn, prepared } = connection();
    const insert = 'INSERT INTO t (v) VALUES (?)';
    conn.prepare(insert).run('a');
    conn.prepare(insert).run('b');
    const select = 'SELECT v FROM t WHERE id = ?';
    expect(conn.prepare(select).get(1)).toEqual({ v: 'a' });
    expect(conn.prepare(select).get(2)).toEqual({ v: 'b' });
    expect(conn.prepare(select).get(3)).toBeUndefined();
    expect(prepared()).toBe(2);
  });

  it('keeps at most its size, dropping the least recently used', () => {
    const { conn, prepared } = connection(2);
    conn.prepare('SELECT 1');
    conn.prepare('SELECT 2');
    conn.prepare('SELECT 1'); // 1 is now the most recent
    conn.prepare('SELECT 3'); // drops 2
    expect(prepared()).toBe(3);
    conn.prepare('SELECT 1');
    expect(prepared()).toBe(3);
    conn.prepare('SELECT 2');
    expect(prepared()).toBe(4);
  });

  it('never hands out a statement that is still iterating', () => {
    const { conn } = connection();
    conn.exec("INSERT INTO t (v) VALUES ('a'), ('b')");
    const sql = 'SELECT v FROM t ORDER BY id';
    const outer = conn.prepare(sql).iterate() as IterableIterator<{ v: string }>;
    expect(outer.next().value).toEqual({ v: 'a' });
    expect(conn.prepare(sql).all()).toEqual([{ v: 'a' }, { v: 'b' }]);
    expect(outer.next().value).toEqual({ v: 'b' });
    expect(outer.next().done).toBe(true);
  });

  it('sees schema changes made after a statement was cached', () => {
    const { conn } = connection();
    const sql = 'SELECT * FROM t WHERE id = 1';
    conn.exec("INSERT INTO t (v) VALUES ('a')");
    expect(conn.prepare(sql).get()).toEqual({ id: 1, v: 'a' });
    conn.exec("ALTER TABLE t ADD COLUMN w TEXT DEFAULT 'x'");
    expect(conn.prepare(sql).get()).toEqual({ id: 1, v: 'a', w: 'x' });
  });

  it('is used by the knex connection the app opens', async () => {
    const db = createDb({ sqliteFile: ':memory:' });
    try {
      await db.schema.createTable('t', (t) => {
        t.increments('id');
        t.text('v');
      });
      for (const v of ['a', 'b', 'c']) await db('t').insert({ v });
      expect(await db('t').where({ id: 2 }).first()).toEqual({ id: 2, v: 'b' });
      expect(await db('t').where({ id: 3 }).first()).toEqual({ id: 3, v: 'c' });
      expect(await db('t').count({ n: '*' })).toEqual([{ n: 3 }]);
      // The connection knex opened keeps what it prepared.
      const conn = (await db.client.acquireConnection()) as Database.Database;
      try {
        expect(conn.prepare('SELECT v FROM t WHERE id = ?')).toBe(conn.prepare('SELECT v FROM t WHERE id = ?'));
      } finally {
        await db.client.releaseConnection(conn);
      }
    } finally {
      await db.destroy();
    }
  });
});
