import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/sql.ts';
import type { Deps } from '../../src/deps.ts';
import { SimulatedGateway } from '../../src/modules/billing/gateway/simulated.ts';
import { renewalPass } from '../../src/modules/billing/renew.ts';
import { replaceCard } from '../../src/modules/billing/replace-card.ts';
import { retryPastDue } from '../../src/modules/billing/retry-past-due.ts';
import { createMailer } from '../../src/modules/mail/mailer.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { newOrg, newUser } from '../support/builders.ts';

/**
 * §0, R9.13: several instances run the scheduler at once on PostgreSQL. Two
 * passes start together over the same 200 due organizations, each with its
 * own connection pool, gateway client and mailer, as two processes would;
 * then the gateway's own ledger is compared with the invoices. (SQLite has
 * one writer and one connection, so there is nothing to race there.)
 */
const onPostgres = process.env.TEST_DB === 'postgres';
const ORGS = 200;
// Generous for a loaded CI machine; a few seconds on an idle one.
const TIMEOUT_MS = 120_000;

describe.skipIf(!onPostgres)('two scheduler instances at once on PostgreSQL — skipped unless TEST_DB=postgres (§0, R9.13)', () => {
  let t: TestContext;
  const pools: Database[] = [];

  /** Another instance of the program: its own pool on the same schema, gateway client and mailer. */
  function instance(): Deps {
    const db = openDatabase({ ...t.testDb.options, poolMax: 5 });
    pools.push(db);
    return { ...t.deps, db, gateway: new SimulatedGateway(db, t.clock), mailer: createMailer({ db, clock: t.clock }) };
  }

  /**
   * Copies an organization made the real way: its organization and billing
   * account rows and its open invoices (the copies share its gateway customer
   * and card, which the simulated gateway accepts). Returns the template's id
   * and the copies'.
   */
  async function copiesOf(templateId: number): Promise<number[]> {
    const db = t.knex;
    const org = await db('organizations').where({ id: templateId }).first();
    const account = await db('billing_accounts').where({ organization_id: templateId }).first();
    const open = await db('invoices').where({ organization_id: templateId, status: 'open' }).orderBy('seq');
    // Slugs prefix invoice numbers, which are unique across organizations.
    const prefix = randomBytes(4).toString('hex');
    const ids: number[] = [templateId];
    const rows = Array.from({ length: ORGS - 1 }, (_, i) => {
      const { id: _id, ...rest } = org;
      return { ...rest, slug: `${prefix}c${i}`, name: `Copy ${i}` };
    });
    for (let i = 0; i < rows.length; i += 100) {
      const inserted = await db('organizations').insert(rows.slice(i, i + 100)).returning('id');
      ids.push(...inserted.map((r: { id: number }) => r.id));
    }
    const copies = ids.slice(1);
    await db.batchInsert('billing_accounts', copies.map((id) => ({ ...account, organization_id: id })), 100);
    const invoices = copies.flatMap((id, i) => open.map(({ id: _id, ...inv }: { id: number }) => ({ ...inv, organization_id: id, number: `${prefix.toUpperCase()}C${i}-${String((inv as { seq: number }).seq).padStart(6, '0')}` })));
    if (invoices.length) await db.batchInsert('invoices', invoices, 100);
    return ids;
  }

  /** The gateway's ledger next to our invoices, per invoice. */
  async function ledger(orgIds: number[], periodStart: number) {
    const db = t.knex;
    const invoices = await db('invoices').whereIn('organization_id', orgIds).andWhere({ kind: 'renewal', period_start: periodStart }).select('id', 'organization_id', 'status', 'amount_due_cents', 'amount_paid_cents');
    const charges = await db('sim_charges as c')
      .leftJoin('payment_attempts as a', 'a.idempotency_key', 'c.idempotency_key')
      .where('c.idempotency_key', 'like', 'invoice-%')
      .select('c.idempotency_key', 'c.status', 'c.amount_cents', 'a.invoice_id', 'a.status as attempt_status');
    return { invoices, charges };
  }

  // A fresh schema per test: a pass runs over every organization in it.
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => {
    for (const pool of pools.splice(0)) await pool.close();
    await t.close();
  });

  it(`two renewal passes at once over ${ORGS} due organizations charge each renewal invoice once`, async () => {
    t.clock.set('2026-04-01T00:00:00Z');
    const template = await newOrg(t, { owner: await newUser(t), plan: 'starter', name: 'Template' });
    const orgIds = await copiesOf(template.id);
    const at = new Date('2026-05-01T00:00:00Z');
    t.clock.set(at);
    const [a, b] = [instance(), instance()];
    const reports = await Promise.all([renewalPass(a, at), renewalPass(b, at)]);
    // The passes overlapped: each listed (nearly) every organization as due —
    // one may start after the other already renewed a few — and between them
    // each invoice was issued once.
    for (const r of reports) expect(r.organizations).toBeGreaterThan(ORGS / 2);
    for (const r of reports) expect(r.organizations).toBeLessThanOrEqual(ORGS);
    expect(reports[0]!.invoices + reports[1]!.invoices).toBe(ORGS);

    const { invoices, charges } = await ledger(orgIds, at.getTime());
    expect(invoices).toHaveLength(ORGS);
    expect(new Set(invoices.map((i: { organization_id: number }) => i.organization_id)).size).toBe(ORGS);
    expect(invoices.every((i: { status: string; amount_paid_cents: number }) => i.status === 'paid' && Number(i.amount_paid_cents) === 25_000)).toBe(true);
    // Every charge the gateway made is one of our attempts, and each invoice was charged exactly once.
    expect(charges.filter((c: { invoice_id: number | null }) => c.invoice_id === null)).toEqual([]);
    const perInvoice = new Map<number, number>();
    for (const c of charges) if (c.status === 'succeeded') perInvoice.set(Number(c.invoice_id), (perInvoice.get(Number(c.invoice_id)) ?? 0) + 1);
    expect(perInvoice.size).toBe(ORGS);
    expect([...perInvoice].filter(([, n]) => n !== 1), 'invoices charged more than once').toEqual([]);
    expect(charges.every((c: { status: string; attempt_status: string }) => c.status === c.attempt_status)).toBe(true);
    // One receipt per renewal charge (the template's first charge has its own, from before the pass).
    const receipts = await t.knex('mail_outbox').whereIn('organization_id', orgIds).andWhere({ kind: 'receipt', created_at: at.getTime() }).count({ n: '*' }).first();
    expect(Number(receipts?.n)).toBe(ORGS);

    // A third pass afterwards finds nothing to do (R12.2).
    expect(await renewalPass(t.deps, at)).toEqual({ organizations: 0, invoices: 0, failed: 0 });
  }, TIMEOUT_MS);

  it(`two retry passes at once over ${ORGS} Past Due organizations retry each once`, async () => {
    // One organization made Past Due the real way (its July 1 renewal declined), then copied.
    t.clock.set('2026-06-01T00:00:00Z');
    const owner = await newUser(t);
    const template = await newOrg(t, { owner, plan: 'starter', name: 'Template' });
    const card = (number: string) => ({ kind: 'card' as const, number, expMonth: 12, expYear: 2030, cvc: '123' });
    const due = new Date('2026-07-01T00:00:00Z');
    t.clock.set('2026-06-20T00:00:00Z');
    expect(await replaceCard(t.deps, { organizationId: template.id, actor: owner, card: card('4000000000000341') })).toMatchObject({ ok: true });
    t.clock.set(due);
    await renewalPass(t.deps, due);
    const orgIds = await copiesOf(template.id);
    const pastDue = await t.knex('billing_accounts').whereIn('organization_id', orgIds).andWhere({ status: 'past_due' }).count({ n: '*' }).first();
    expect(Number(pastDue?.n)).toBe(ORGS);
    // The card is fixed for all of them before the day-7 retry, which both instances then run at once.
    t.clock.set('2026-07-05T00:00:00Z');
    expect(await replaceCard(t.deps, { organizationId: template.id, actor: owner, card: card('4242424242424242') })).toMatchObject({ ok: true });
    const fixed = await t.knex('billing_accounts').where({ organization_id: template.id }).first('payment_method_ref', 'card_last4');
    await t.knex('billing_accounts').whereIn('organization_id', orgIds).update(fixed);
    const at = new Date('2026-07-08T00:00:00Z');
    t.clock.set(at);
    const [a, b] = [instance(), instance()];
    const reports = await Promise.all([retryPastDue(a, at), retryPastDue(b, at)]);
    expect(reports[0]!.retried + reports[1]!.retried).toBe(ORGS);
    expect(reports[0]!.recovered + reports[1]!.recovered).toBe(ORGS);

    const { invoices, charges } = await ledger(orgIds, due.getTime());
    expect(invoices).toHaveLength(ORGS);
    expect(invoices.every((i: { status: string }) => i.status === 'paid')).toBe(true);
    const mine = charges.filter((c: { invoice_id: number | null }) => invoices.some((i: { id: number }) => i.id === Number(c.invoice_id)));
    expect(mine.filter((c: { status: string }) => c.status === 'succeeded')).toHaveLength(ORGS);
    expect(mine.filter((c: { status: string }) => c.status === 'failed')).toHaveLength(1); // the template's July 1 decline
    const active = await t.knex('billing_accounts').whereIn('organization_id', orgIds).andWhere({ status: 'active' }).count({ n: '*' }).first();
    expect(Number(active?.n)).toBe(ORGS);
    const history = await t.knex('billing_status_history').whereIn('organization_id', orgIds).andWhere({ to_status: 'active' }).count({ n: '*' }).first();
    expect(Number(history?.n)).toBe(ORGS);
  }, TIMEOUT_MS);
});
