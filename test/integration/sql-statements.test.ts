// Issue 15 (one data-access style): the statement layer of db/sql.ts is the
// only way the application reaches its database. On both databases a
// statement never lands inside someone else's open transaction, a
// transaction is all or nothing (R8.1: a report's payloads and counters
// together), a nested one is a savepoint, and results read the same as
// through knex.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numberPlaceholders, type Sql } from '../../src/db/sql.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

describe('the statement layer: all or nothing, never inside another transaction (§0, R8.1, R9.13)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
    await t.knex.schema.createTable('sql_probe', (table) => {
      table.increments('id');
      table.text('v').notNullable();
      table.bigInteger('n').notNullable().defaultTo(0);
    });
  });
  afterAll(async () => {
    await t.drop();
  });
  const values = async () => (await t.knex('sql_probe').orderBy('id').select('v')).map((r: { v: string }) => r.v);

  it('reads and writes the same rows as knex', async () => {
    const sql = t.db;
    expect(await sql.run('INSERT INTO sql_probe (v, n) VALUES (?, ?), (?, ?)', ['a', 1, 'b', 2])).toBe(2);
    expect(await sql.rows('SELECT v, n FROM sql_probe ORDER BY id')).toEqual([
      { v: 'a', n: 1 },
      { v: 'b', n: 2 },
    ]);
    expect(await sql.first('SELECT v FROM sql_probe WHERE n = ?', [2])).toEqual({ v: 'b' });
    expect(await sql.first('SELECT v FROM sql_probe WHERE n = ?', [99])).toBeUndefined();
    expect(await sql.run('UPDATE sql_probe SET n = n + 10 WHERE v = ?', ['a'])).toBe(1);
    expect(await t.knex('sql_probe').where({ v: 'a' }).first('n')).toEqual({ n: 11 });
    expect(await sql.first("SELECT COUNT(*) AS c FROM sql_probe WHERE v <> '?'")).toEqual({ c: 2 });
    await sql.run('DELETE FROM sql_probe');
  });

  it('rolls a transaction back whole when it throws, and commits it otherwise', async () => {
    await expect(
      t.db.transaction(async (sql) => {
        await sql.run('INSERT INTO sql_probe (v) VALUES (?)', ['lost']);
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    expect(await t.knex('sql_probe').where({ v: 'lost' })).toEqual([]);
    const answer = await t.db.transaction(async (sql) => {
      await sql.run('INSERT INTO sql_probe (v) VALUES (?)', ['kept']);
      return (await sql.first<{ v: string }>('SELECT v FROM sql_probe WHERE v = ?', ['kept']))?.v;
    });
    expect(answer).toBe('kept');
    expect(await values()).toEqual(['kept']);
    await t.db.run('DELETE FROM sql_probe');
  });

  it('makes a transaction inside a transaction a savepoint: its throw undoes only its own writes', async () => {
    await t.db.transaction(async (sql) => {
      await sql.run('INSERT INTO sql_probe (v) VALUES (?)', ['outer']);
      await expect(
        sql.transaction(async (inner) => {
          await inner.run('INSERT INTO sql_probe (v) VALUES (?)', ['inner-lost']);
          throw new Error('inner');
        }),
      ).rejects.toThrow('inner');
      await sql.transaction((inner) => inner.run('INSERT INTO sql_probe (v) VALUES (?)', ['inner-kept']));
    });
    expect(await values()).toEqual(['outer', 'inner-kept']);
    await t.db.run('DELETE FROM sql_probe');
  });

  it('does not land inside a transaction another request holds open', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const trx = t.db.transaction(async (sql) => {
      await sql.run('INSERT INTO sql_probe (v) VALUES (?)', ['in-trx']);
      entered();
      await held;
      throw new Error('roll back');
    });
    await inside;
    // Written while the transaction is open: it must wait, then stand alone.
    const write = t.db.run('INSERT INTO sql_probe (v) VALUES (?)', ['outside']);
    const other = t.db.transaction((sql) => sql.run('INSERT INTO sql_probe (v) VALUES (?)', ['outside-trx']));
    release();
    await expect(trx).rejects.toThrow('roll back');
    await write;
    await other;
    // On PostgreSQL the two run on their own connections, in either order.
    expect((await values()).sort()).toEqual(['outside', 'outside-trx']);
    await t.db.run('DELETE FROM sql_probe');
  });

  it('refuses a statement left running after its transaction ended, so it cannot land in the next one', async () => {
    let stray: Promise<number> | undefined;
    let release!: () => void;
    const later = new Promise<void>((resolve) => (release = resolve));
    await expect(
      t.db.transaction(async (sql) => {
        // A branch the callback does not wait for: it writes after the transaction has rolled back.
        stray = later.then(() => sql.run('INSERT INTO sql_probe (v) VALUES (?)', ['stray']));
        await sql.run('INSERT INTO sql_probe (v) VALUES (?)', ['first']);
        throw new Error('fail');
      }),
    ).rejects.toThrow('fail');
    const next = t.db.transaction(async (sql) => {
      release();
      await new Promise((r) => setTimeout(r, 20));
      await sql.run('INSERT INTO sql_probe (v) VALUES (?)', ['second']);
    });
    await expect(stray).rejects.toThrow(/complete/);
    await next;
    expect(await values()).toEqual(['second']);
    await t.db.run('DELETE FROM sql_probe');
  });

  it('runs many concurrent transactions without losing or mixing their writes', async () => {
    await t.db.run("INSERT INTO sql_probe (v, n) VALUES ('counter', 0)");
    const bump = (sql: Sql) => sql.first<{ n: number }>("SELECT n FROM sql_probe WHERE v = 'counter'");
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        t.db
          .transaction(async (sql) => {
            if (sql.postgres) await sql.first("SELECT id FROM sql_probe WHERE v = 'counter' FOR UPDATE");
            const row = await bump(sql);
            await sql.run("UPDATE sql_probe SET n = ? WHERE v = 'counter'", [Number(row!.n) + 1]);
            if (i % 5 === 0) throw new Error('this one rolls back');
          })
          .catch(() => undefined),
      ),
    );
    expect(await t.knex('sql_probe').where({ v: 'counter' }).first('n')).toEqual({ n: 32 });
  });
});

describe('statements run again and again (issue 18: prepared once, on PostgreSQL named)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
    await t.knex.schema.createTable('sql_prepared_probe', (table) => {
      table.increments('id');
      table.text('v').notNullable();
    });
  });
  afterAll(async () => {
    await t.drop();
  });

  it('answers with each run’s own bindings and the rows as they are now, in and out of transactions', async () => {
    for (let i = 0; i < 5; i++) await t.db.run('INSERT INTO sql_prepared_probe (v) VALUES (?)', [`row ${i}`]);
    for (let i = 0; i < 5; i++) {
      expect(await t.db.first('SELECT v FROM sql_prepared_probe WHERE v = ?', [`row ${i}`])).toEqual({ v: `row ${i}` });
      const inside = await t.db.transaction((sql) => sql.first<{ n: number }>('SELECT COUNT(*) AS n FROM sql_prepared_probe WHERE v <> ?', [`row ${i}`]));
      expect(Number(inside?.n)).toBe(4);
    }
    await t.knex('sql_prepared_probe').where({ v: 'row 0' }).del();
    expect(await t.db.first('SELECT v FROM sql_prepared_probe WHERE v = ?', ['row 0'])).toBeUndefined();
  });

  // PostgreSQL keeps a named statement's plan, and refuses it once the table's
  // columns change ("cached plan must not change result type"); SQLite
  // recompiles a cached statement by itself (and another connection cannot
  // alter the file while this one holds it).
  it.runIf(process.env.TEST_DB === 'postgres')('reads a table whose columns changed after its statement was prepared (another instance migrating)', async () => {
    const all = () => t.db.rows<Record<string, unknown>>('SELECT * FROM sql_prepared_probe WHERE v = ? ORDER BY id', ['row 1']);
    for (let i = 0; i < 3; i++) expect(await all()).toEqual([{ id: expect.anything(), v: 'row 1' }]);
    await t.knex.schema.alterTable('sql_prepared_probe', (table) => {
      table.text('extra').notNullable().defaultTo('x');
    });
    expect(await all()).toEqual([{ id: expect.anything(), v: 'row 1', extra: 'x' }]);
    expect(await t.db.transaction(() => all())).toEqual([{ id: expect.anything(), v: 'row 1', extra: 'x' }]);
  });
});

describe('PostgreSQL placeholders', () => {
  it('numbers each ? in order and leaves one inside a quoted literal or name alone', () => {
    expect(numberPlaceholders('SELECT ? AS a, ?::bigint AS b')).toBe('SELECT $1 AS a, $2::bigint AS b');
    expect(numberPlaceholders(`SELECT '?' AS "what?", ? AS c WHERE x LIKE ? ESCAPE '\\'`)).toBe(`SELECT '?' AS "what?", $1 AS c WHERE x LIKE $2 ESCAPE '\\'`);
  });
});
