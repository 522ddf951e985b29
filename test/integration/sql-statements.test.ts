// Issue #9 (performance): the fixed-SQL path of db/sql.ts must keep knex's
// semantics on both databases — a statement never lands inside someone
// else's open transaction, a transaction is all or nothing (R8.1: a report's
// payloads and counters together), and results read the same.
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction, statementsOf } from '../../src/db/sql.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

describe('fixed SQL statements: all or nothing, never inside another transaction (§0, R8.1, R9.13)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
    await t.db.schema.createTable('sql_probe', (table) => {
      table.increments('id');
      table.text('v').notNullable();
      table.bigInteger('n').notNullable().defaultTo(0);
    });
  });
  afterAll(async () => {
    await t.drop();
  });

  it('reads and writes the same rows as knex', async () => {
    const sql = statementsOf(t.db);
    expect(await sql.run('INSERT INTO sql_probe (v, n) VALUES (?, ?), (?, ?)', ['a', 1, 'b', 2])).toBe(2);
    expect(await sql.rows('SELECT v, n FROM sql_probe ORDER BY id')).toEqual([
      { v: 'a', n: 1 },
      { v: 'b', n: 2 },
    ]);
    expect(await sql.first('SELECT v FROM sql_probe WHERE n = ?', [2])).toEqual({ v: 'b' });
    expect(await sql.first('SELECT v FROM sql_probe WHERE n = ?', [99])).toBeUndefined();
    expect(await sql.run('UPDATE sql_probe SET n = n + 10 WHERE v = ?', ['a'])).toBe(1);
    expect(await t.db('sql_probe').where({ v: 'a' }).first('n')).toEqual({ n: 11 });
    await sql.run('DELETE FROM sql_probe');
  });

  it('rolls a transaction back whole when it throws, and commits it otherwise', async () => {
    await expect(
      inTransaction(t.db, async (sql) => {
        await sql.run('INSERT INTO sql_probe (v) VALUES (?)', ['lost']);
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    expect(await t.db('sql_probe').where({ v: 'lost' })).toEqual([]);
    const answer = await inTransaction(t.db, async (sql) => {
      await sql.run('INSERT INTO sql_probe (v) VALUES (?)', ['kept']);
      return (await sql.first<{ v: string }>('SELECT v FROM sql_probe WHERE v = ?', ['kept']))?.v;
    });
    expect(answer).toBe('kept');
    expect(await t.db('sql_probe').where({ v: 'kept' }).count({ c: '*' })).toEqual([{ c: 1 }]);
    await t.db('sql_probe').delete();
  });

  it('does not land inside a transaction another request holds open', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const trx = t.db.transaction(async (k) => {
      await k('sql_probe').insert({ v: 'in-trx' });
      entered();
      await held;
      throw new Error('roll back');
    });
    await inside;
    // Written while the transaction is open: it must wait, then stand alone.
    const write = statementsOf(t.db).run('INSERT INTO sql_probe (v) VALUES (?)', ['outside']);
    const other = inTransaction(t.db, (sql) => sql.run('INSERT INTO sql_probe (v) VALUES (?)', ['outside-trx']));
    release();
    await expect(trx).rejects.toThrow('roll back');
    await write;
    await other;
    expect((await t.db('sql_probe').orderBy('id').select('v')).map((r) => r.v)).toEqual(['outside', 'outside-trx']);
    await t.db('sql_probe').delete();
  });

  it('refuses a statement left running after its transaction ended, so it cannot land in the next one', async () => {
    let stray: Promise<number> | undefined;
    let release!: () => void;
    const later = new Promise<void>((resolve) => (release = resolve));
    await expect(
      inTransaction(t.db, async (sql) => {
        // A branch the callback does not wait for: it writes after the transaction has rolled back.
        stray = later.then(() => sql.run('INSERT INTO sql_probe (v) VALUES (?)', ['stray']));
        await sql.run('INSERT INTO sql_probe (v) VALUES (?)', ['first']);
        throw new Error('fail');
      }),
    ).rejects.toThrow('fail');
    const next = inTransaction(t.db, async (sql) => {
      release();
      await new Promise((r) => setTimeout(r, 20));
      await sql.run('INSERT INTO sql_probe (v) VALUES (?)', ['second']);
    });
    await expect(stray).rejects.toThrow(/complete/);
    await next;
    expect((await t.db('sql_probe').orderBy('id').select('v')).map((r) => r.v)).toEqual(['second']);
    await t.db('sql_probe').delete();
  });

  it('runs many concurrent transactions without losing or mixing their writes', async () => {
    await t.db('sql_probe').insert({ v: 'counter', n: 0 });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        inTransaction(t.db, async (sql) => {
          if (t.dialect === 'postgres') await sql.first("SELECT id FROM sql_probe WHERE v = 'counter' FOR UPDATE");
          const row = await sql.first<{ n: number }>("SELECT n FROM sql_probe WHERE v = 'counter'");
          await sql.run("UPDATE sql_probe SET n = ? WHERE v = 'counter'", [Number(row!.n) + 1]);
          if (i % 5 === 0) throw new Error('this one rolls back');
        }).catch(() => undefined),
      ),
    );
    expect(await t.db('sql_probe').where({ v: 'counter' }).first('n')).toEqual({ n: 32 });
  });
});

describe('fixed SQL inside a knex transaction (§0, R9.13)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
    await t.db.schema.createTable('sql_probe2', (table) => {
      table.increments('id');
      table.text('v').notNullable();
    });
  });
  afterAll(async () => {
    await t.drop();
  });

  it('runs in that transaction: seen by it, rolled back with it', async () => {
    await expect(
      t.db.transaction(async (trx) => {
        await statementsOf(trx).run('INSERT INTO sql_probe2 (v) VALUES (?)', ['a']);
        expect(await trx('sql_probe2').select('v')).toEqual([{ v: 'a' }]);
        await trx('sql_probe2').insert({ v: 'b' });
        expect(await statementsOf(trx).rows('SELECT v FROM sql_probe2 ORDER BY id')).toEqual([{ v: 'a' }, { v: 'b' }]);
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await t.db('sql_probe2').select('v')).toEqual([]);
    await t.db.transaction(async (trx) => {
      await statementsOf(trx).run('INSERT INTO sql_probe2 (v) VALUES (?)', ['kept']);
    });
    expect(await t.db('sql_probe2').select('v')).toEqual([{ v: 'kept' }]);
  });

  it('refuses to run after the transaction ended', async () => {
    let done: Knex.Transaction | undefined;
    await t.db.transaction(async (trx) => {
      done = trx;
    });
    await expect(statementsOf(done!).rows('SELECT 1 AS one')).rejects.toThrow(/complete/);
  });
});
