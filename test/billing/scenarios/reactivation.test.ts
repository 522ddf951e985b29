import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestContext } from '../../support/app.ts';
import { play, recordsOf, type Step } from './runner.ts';
import { userActor } from '../../../src/modules/audit/record.ts';
import { deleteOrganization } from '../../../src/modules/organizations/delete-organization.ts';
import { payNow } from '../../../src/modules/billing/pay-now.ts';
import { replaceCard } from '../../../src/modules/billing/replace-card.ts';
import { findOrganizationById } from '../../../src/modules/tenancy/queries/organizations.ts';

/**
 * Golden reactivation timelines (R9.8): an Unpaid organization that pays up
 * is Active again on its original anchor. If an invoice already covers the
 * current anchored period, nothing new is billed; otherwise one reactivation
 * invoice bills what the last invoiced period still owes (its overage) and
 * the rest of the current period, price × remaining seconds ÷ period seconds,
 * half up. Every amount below is worked by hand in the comments.
 *
 * Beyond the invoices, each timeline checks that no second of service is
 * billed twice (the subscription lines' periods never overlap) and that
 * every successful charge has exactly one receipt (R9.12).
 */

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const DECLINED = '4000000000000341';
const VISA = '4242424242424242';

/**
 * The case: created November 30, 2025 on Starter ($250), anchor day 30
 * (so periods end Dec 30, Jan 30, Feb 28, Mar 30, Apr 30 …). The December 30
 * renewal (#2, Dec 30 – Jan 30) is declined: Past Due; the retries of Jan 6,
 * 13, 20 and 27 fail too, and on January 27 it is Unpaid with #2 open.
 */
const unpaidOnJan27: Step[] = [
  { at: '2025-11-30T00:00:00Z', create: 'starter' },
  { at: '2025-12-01T00:00:00Z', card: DECLINED },
  ...['2025-12-30', '2026-01-06', '2026-01-13', '2026-01-20', '2026-01-27'].map((d) => ({ at: `${d}T00:00:00Z`, pass: true as const })),
];
const unpaidCharges = [
  '2025-11-30 #1 25000 succeeded 4242',
  ...['2025-12-30', '2026-01-06', '2026-01-13', '2026-01-20', '2026-01-27'].map((d) => `${d} #2 25000 failed 0341`),
];
const unpaidHistory = ['active→past_due 2025-12-30', 'past_due→unpaid 2026-01-27'];

interface Expected {
  invoices: { seq: number; kind: string; status: string; lines: number[]; creditApplied?: number; amountDue: number; period: string }[];
  charges: string[];
  history: string[];
  periodAfter: string;
  reactivatedMail: string;
}

const when = (iso: string) => (iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`);

async function check(steps: Step[], e: Expected) {
  const played = await play(t, { name: 'Reactivation Co', steps, invoices: [], creditBalance: 0 });
  const { orgId, billed } = played;
  const records = await recordsOf(t, orgId);
  const invoices = await t.knex('invoices').where({ organization_id: orgId }).orderBy('seq');
  expect(
    billed.map((b, i) => ({
      seq: b.seq,
      kind: b.kind,
      status: b.status,
      lines: b.lines,
      ...(e.invoices[i]?.creditApplied !== undefined ? { creditApplied: b.creditApplied } : {}),
      amountDue: b.amountDue,
      period: `${when(new Date(Number(invoices[i].period_start)).toISOString())} – ${when(new Date(Number(invoices[i].period_end)).toISOString())}`,
    })),
  ).toEqual(e.invoices);
  expect(records.charges.map((c) => `${when(c.at)} #${c.seq} ${c.amount} ${c.status} ${c.last4}`)).toEqual(e.charges);
  expect(records.history.map((h) => `${h.from}→${h.to} ${when(h.at)}`)).toEqual(e.history);
  expect(records.status).toBe('active');
  const account = await t.knex('billing_accounts').where({ organization_id: orgId }).first();
  expect(`${when(new Date(Number(account.current_period_start)).toISOString())} – ${when(new Date(Number(account.current_period_end)).toISOString())}`).toBe(e.periodAfter);

  // No second of service billed twice: the subscription lines' periods never overlap (a void invoice bills nothing).
  const subscriptions = await t.knex
    ('invoice_lines as l')
    .join('invoices as i', 'i.id', 'l.invoice_id')
    .where({ 'i.organization_id': orgId, 'l.kind': 'subscription' })
    .whereNot('i.status', 'void')
    .orderBy('l.period_start')
    .select('l.period_start', 'l.period_end');
  for (let i = 1; i < subscriptions.length; i++) {
    expect(Number(subscriptions[i].period_start), 'a subscription line starts before the previous one ends').toBeGreaterThanOrEqual(Number(subscriptions[i - 1].period_end));
  }

  // Every successful charge has exactly one receipt, for its amount (R9.12).
  const succeeded = records.charges.filter((c) => c.status === 'succeeded').map((c) => c.amount);
  const receipts = records.mails.filter((m) => m.kind === 'receipt').map((m) => Math.round(Number(/We received \$([\d,.]+)/.exec(m.text)![1]!.replace(/,/g, '')) * 100));
  expect(receipts).toEqual(succeeded);
  const reactivated = records.mails.filter((m) => m.kind === 'reactivated');
  expect(reactivated).toHaveLength(1);
  expect(reactivated[0]!.text).toContain(e.reactivatedMail);
  return { ...played, records };
}

describe('golden reactivation timelines (R9.8, R9.12)', () => {
  it('inside the last invoiced period: #2 is paid and nothing new is billed', async () => {
    await check([...unpaidOnJan27, { at: '2026-01-28T12:00:00Z', card: VISA }, { at: '2026-01-30T00:00:00Z', pass: true }], {
      invoices: [
        { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2025-11-30 – 2025-12-30' },
        { seq: 2, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2025-12-30 – 2026-01-30' },
        // The regular renewal on the original anchor; Jan 28–30 was covered by #2 and is not billed again.
        { seq: 3, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2026-01-30 – 2026-02-28' },
      ],
      charges: [...unpaidCharges, '2026-01-28 12:00 #2 25000 succeeded 4242', '2026-01-30 #3 25000 succeeded 4242'],
      history: [...unpaidHistory, 'unpaid→active 2026-01-28 12:00'],
      periodAfter: '2026-01-30 – 2026-02-28',
      reactivatedMail: 'the current period ends on January 30, 2026',
    });
  });

  it('one period later: the rest of the period that began while Unpaid, prorated to the second', async () => {
    // Period Jan 30 – Feb 28 is 29 days; Feb 5 leaves 23: 25000 × 23 / 29 = 19827.59 → 19828.
    await check([...unpaidOnJan27, { at: '2026-01-30T00:00:00Z', pass: true }, { at: '2026-02-05T00:00:00Z', card: VISA }, { at: '2026-02-28T00:00:00Z', pass: true }], {
      invoices: [
        { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2025-11-30 – 2025-12-30' },
        { seq: 2, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2025-12-30 – 2026-01-30' },
        { seq: 3, kind: 'reactivation', status: 'paid', lines: [19_828], amountDue: 19_828, period: '2026-02-05 – 2026-02-28' },
        { seq: 4, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2026-02-28 – 2026-03-30' },
      ],
      charges: [...unpaidCharges, '2026-02-05 #2 25000 succeeded 4242', '2026-02-05 #3 19828 succeeded 4242', '2026-02-28 #4 25000 succeeded 4242'],
      history: [...unpaidHistory, 'unpaid→active 2026-02-05'],
      periodAfter: '2026-02-28 – 2026-03-30',
      reactivatedMail: 'the current period ends on February 28, 2026',
    });
  });

  it('several periods later: the overage still owed, then the rest of the current period; the months Unpaid are not billed', async () => {
    // 26,000,000 payloads in Dec 30 – Jan 30 (while Past Due, still accepted): 1,000,000 over at
    // $10 per million = 1000¢, owed since that period ended while Unpaid.
    // Reactivated April 10: the current period is Mar 30 – Apr 30 (31 days), 20 days left:
    // 25000 × 20 / 31 = 16129.03 → 16129. Jan 30 – Apr 10 is not billed.
    await check(
      [
        ...unpaidOnJan27.slice(0, 4), // created, the declining card, the Dec 30 and Jan 6 passes
        { at: '2026-01-10T00:00:00Z', payloads: 26_000_000 },
        ...unpaidOnJan27.slice(4),
        ...['2026-01-30', '2026-02-28', '2026-03-30'].map((d) => ({ at: `${d}T00:00:00Z`, pass: true as const })),
        { at: '2026-04-10T00:00:00Z', card: VISA },
        { at: '2026-04-30T00:00:00Z', pass: true },
      ],
      {
        invoices: [
          { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2025-11-30 – 2025-12-30' },
          { seq: 2, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2025-12-30 – 2026-01-30' },
          { seq: 3, kind: 'reactivation', status: 'paid', lines: [1_000, 16_129], amountDue: 17_129, period: '2026-04-10 – 2026-04-30' },
          // The April 30 renewal: no usage in Mar 30 – Apr 30, Starter for Apr 30 – May 30.
          { seq: 4, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2026-04-30 – 2026-05-30' },
        ],
        charges: [...unpaidCharges, '2026-04-10 #2 25000 succeeded 4242', '2026-04-10 #3 17129 succeeded 4242', '2026-04-30 #4 25000 succeeded 4242'],
        history: [...unpaidHistory, 'unpaid→active 2026-04-10'],
        periodAfter: '2026-04-30 – 2026-05-30',
        reactivatedMail: 'the current period ends on April 30, 2026',
      },
    );
  });

  it('on a month-end anchor (Jan 31): the period containing the reactivation is Mar 31 – Apr 30', async () => {
    // Created Jan 31: periods Jan 31 – Feb 28, Feb 28 – Mar 31, Mar 31 – Apr 30, Apr 30 – May 31.
    // #2 (Feb 28 – Mar 31) is declined; retries Mar 7, 14, 21, 28; Unpaid March 28. No invoice for Mar 31.
    // Reactivated Apr 15 12:00: 14.5 of the 30 days of Mar 31 – Apr 30 left:
    // 25000 × 1252800 / 2592000 = 12083.33 → 12083.
    await check(
      [
        { at: '2026-01-31T00:00:00Z', create: 'starter' },
        { at: '2026-02-01T00:00:00Z', card: DECLINED },
        ...['2026-02-28', '2026-03-07', '2026-03-14', '2026-03-21', '2026-03-28', '2026-03-31'].map((d) => ({ at: `${d}T00:00:00Z`, pass: true as const })),
        { at: '2026-04-15T12:00:00Z', card: VISA },
        { at: '2026-04-30T00:00:00Z', pass: true },
        { at: '2026-05-31T00:00:00Z', pass: true },
      ],
      {
        invoices: [
          { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2026-01-31 – 2026-02-28' },
          { seq: 2, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2026-02-28 – 2026-03-31' },
          { seq: 3, kind: 'reactivation', status: 'paid', lines: [12_083], amountDue: 12_083, period: '2026-04-15 12:00 – 2026-04-30' },
          { seq: 4, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2026-04-30 – 2026-05-31' },
          { seq: 5, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2026-05-31 – 2026-06-30' },
        ],
        charges: [
          '2026-01-31 #1 25000 succeeded 4242',
          ...['2026-02-28', '2026-03-07', '2026-03-14', '2026-03-21', '2026-03-28'].map((d) => `${d} #2 25000 failed 0341`),
          '2026-04-15 12:00 #2 25000 succeeded 4242',
          '2026-04-15 12:00 #3 12083 succeeded 4242',
          '2026-04-30 #4 25000 succeeded 4242',
          '2026-05-31 #5 25000 succeeded 4242',
        ],
        history: ['active→past_due 2026-02-28', 'past_due→unpaid 2026-03-28', 'unpaid→active 2026-04-15 12:00'],
        periodAfter: '2026-05-31 – 2026-06-30',
        reactivatedMail: 'the current period ends on April 30, 2026',
      },
    );
  });
});

/**
 * R9.8, R9.13: a reactivation whose own charge is declined. The organization
 * stays Unpaid, so the rest of the period that invoice billed is time spent
 * Unpaid: the invoice is voided with the decline, everything issuing it did is
 * undone (credit, proration lines, the account's period), and the next
 * reactivation bills only from its own instant.
 */
describe('a declined reactivation charge (R9.8)', () => {
  // Unpaid on Jan 27 (above), and the Jan 30 pass issues nothing.
  const unpaidAfterJan30: Step[] = [...unpaidOnJan27, { at: '2026-01-30T00:00:00Z', pass: true }];

  it('voids its invoice: the next reactivation, a period later, bills neither those days nor them twice', async () => {
    // Feb 5: #2 is paid; #3, the rest of Jan 30 – Feb 28 (29 days, 23 left): 25000 × 23 / 29 = 19827.59 → 19828, is declined.
    // Mar 10: the period is Feb 28 – Mar 30 (30 days, 20 left): 25000 × 20 / 30 = 16666.67 → 16667. Feb 5 – Mar 10 was spent Unpaid.
    const { results } = await check(
      [
        ...unpaidAfterJan30,
        { at: '2026-02-05T00:00:00Z', issuerDeclines: 3 },
        { at: '2026-02-05T00:00:00Z', card: VISA },
        { at: '2026-03-10T00:00:00Z', card: VISA },
        { at: '2026-03-30T00:00:00Z', pass: true },
      ],
      {
        invoices: [
          { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2025-11-30 – 2025-12-30' },
          { seq: 2, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2025-12-30 – 2026-01-30' },
          { seq: 3, kind: 'reactivation', status: 'void', lines: [19_828], amountDue: 19_828, period: '2026-02-05 – 2026-02-28' },
          { seq: 4, kind: 'reactivation', status: 'paid', lines: [16_667], amountDue: 16_667, period: '2026-03-10 – 2026-03-30' },
          { seq: 5, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2026-03-30 – 2026-04-30' },
        ],
        charges: [
          ...unpaidCharges,
          '2026-02-05 #2 25000 succeeded 4242',
          '2026-02-05 #3 19828 failed 4242',
          '2026-03-10 #4 16667 succeeded 4242',
          '2026-03-30 #5 25000 succeeded 4242',
        ],
        history: [...unpaidHistory, 'unpaid→active 2026-03-10'],
        periodAfter: '2026-03-30 – 2026-04-30',
        reactivatedMail: 'the current period ends on March 30, 2026',
      },
    );
    const declined = results.find((r) => r.step === unpaidAfterJan30.length + 1)!;
    expect('card' in declined && declined.card.ok && declined.card.reactivation).toMatchObject({
      ok: false,
      failed: { invoiceNumber: expect.stringMatching(/-000003$/), message: 'Your card has insufficient funds.', voided: true },
    });
  });

  it('in the same period: a later reactivation bills the rest of the period from its own instant', async () => {
    // Feb 5: #3 (19828) declined. Feb 10: 18 of the 29 days of Jan 30 – Feb 28 left: 25000 × 18 / 29 = 15517.24 → 15517.
    await check(
      [
        ...unpaidAfterJan30,
        { at: '2026-02-05T00:00:00Z', issuerDeclines: 3 },
        { at: '2026-02-05T00:00:00Z', card: VISA },
        { at: '2026-02-10T00:00:00Z', card: VISA },
        { at: '2026-02-28T00:00:00Z', pass: true },
      ],
      {
        invoices: [
          { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2025-11-30 – 2025-12-30' },
          { seq: 2, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2025-12-30 – 2026-01-30' },
          { seq: 3, kind: 'reactivation', status: 'void', lines: [19_828], amountDue: 19_828, period: '2026-02-05 – 2026-02-28' },
          { seq: 4, kind: 'reactivation', status: 'paid', lines: [15_517], amountDue: 15_517, period: '2026-02-10 – 2026-02-28' },
          { seq: 5, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2026-02-28 – 2026-03-30' },
        ],
        charges: [...unpaidCharges, '2026-02-05 #2 25000 succeeded 4242', '2026-02-05 #3 19828 failed 4242', '2026-02-10 #4 15517 succeeded 4242', '2026-02-28 #5 25000 succeeded 4242'],
        history: [...unpaidHistory, 'unpaid→active 2026-02-10'],
        periodAfter: '2026-02-28 – 2026-03-30',
        reactivatedMail: 'the current period ends on February 28, 2026',
      },
    );
  });

  it('retried at the very same instant: a new invoice for the same period start, the void one does not stand in its way', async () => {
    // Both at Feb 5 00:00: #3 (19828) declined and void, #4 the same 19828 paid.
    await check(
      [...unpaidAfterJan30, { at: '2026-02-05T00:00:00Z', issuerDeclines: 3 }, { at: '2026-02-05T00:00:00Z', card: VISA }, { at: '2026-02-05T00:00:00Z', card: VISA }],
      {
        invoices: [
          { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2025-11-30 – 2025-12-30' },
          { seq: 2, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2025-12-30 – 2026-01-30' },
          { seq: 3, kind: 'reactivation', status: 'void', lines: [19_828], amountDue: 19_828, period: '2026-02-05 – 2026-02-28' },
          { seq: 4, kind: 'reactivation', status: 'paid', lines: [19_828], amountDue: 19_828, period: '2026-02-05 – 2026-02-28' },
        ],
        charges: [...unpaidCharges, '2026-02-05 #2 25000 succeeded 4242', '2026-02-05 #3 19828 failed 4242', '2026-02-05 #4 19828 succeeded 4242'],
        history: [...unpaidHistory, 'unpaid→active 2026-02-05'],
        periodAfter: '2026-01-30 – 2026-02-28',
        reactivatedMail: 'the current period ends on February 28, 2026',
      },
    );
  });

  // 26,000,000 payloads on Jan 10 in Dec 30 – Jan 30: 1,000,000 over Starter's 25M at $10 per million = 1000¢.
  const withOverageAndCredit: Step[] = [
    ...unpaidOnJan27.slice(0, 4),
    { at: '2026-01-10T00:00:00Z', payloads: 26_000_000 },
    ...unpaidOnJan27.slice(4),
    { at: '2026-01-30T00:00:00Z', pass: true },
    { at: '2026-02-01T00:00:00Z', grantCredit: 5_000 },
    { at: '2026-02-05T00:00:00Z', issuerDeclines: 3 },
    { at: '2026-02-05T00:00:00Z', card: VISA },
  ];

  it('puts the account back as it was: its period, the credit it took, the overage still owed; Unpaid, and no payment-failed email', async () => {
    // #3: overage 1000 + the rest of Jan 30 – Feb 28, 19828 = 20828; $50.00 of credit first: 15828 due, declined.
    const { orgId } = await play(t, { name: 'Declined Again Co', steps: withOverageAndCredit, invoices: [], creditBalance: 0 });
    const account = await t.knex('billing_accounts').where({ organization_id: orgId }).first();
    expect(account.status).toBe('unpaid');
    // The last invoiced period again, so its overage is billed by the next reactivation.
    expect([when(new Date(Number(account.current_period_start)).toISOString()), when(new Date(Number(account.current_period_end)).toISOString())]).toEqual(['2025-12-30', '2026-01-30']);
    expect(Number(account.credit_balance_cents)).toBe(5_000);
    const third = await t.knex('invoices').where({ organization_id: orgId, seq: 3 }).first();
    expect([third.status, Number(third.subtotal_cents), Number(third.credit_applied_cents), Number(third.amount_due_cents), Number(third.amount_paid_cents)]).toEqual(['void', 20_828, 5_000, 15_828, 0]);
    const ledger = await t.knex('credit_ledger').where({ organization_id: orgId }).orderBy('id');
    expect(ledger.map((l: { amount_cents: number; reason: string }) => [Number(l.amount_cents), l.reason])).toEqual([
      [5_000, 'Goodwill'],
      [-5_000, `Applied to invoice ${third.number}`],
      [5_000, `Returned from void invoice ${third.number}`],
    ]);
    const records = await recordsOf(t, orgId);
    expect(records.history.map((h) => `${h.from}→${h.to}`)).toEqual(['active→past_due', 'past_due→unpaid']);
    // Since Feb 5: the receipt of #2, nothing about #3 (nothing is owed for it).
    expect(records.mails.filter((m) => m.at >= '2026-02-05').map((m) => m.kind)).toEqual(['receipt']);
    const voided = await t.knex('audit_events').where({ organization_id: orgId, action: 'billing.invoice_voided' });
    expect(voided.map((e: { target_label: string; after_json: string }) => [e.target_label, JSON.parse(e.after_json).cause])).toEqual([
      [third.number, 'The reactivation charge failed: Your card has insufficient funds.'],
    ]);
  });

  it('the next reactivation bills the overage and takes the credit again, once', async () => {
    // Mar 10: overage 1000 + the rest of Feb 28 – Mar 30 (20 of 30 days): 25000 × 20 / 30 = 16667; 17667 − 5000 of credit = 12667.
    const { orgId } = await check([...withOverageAndCredit, { at: '2026-03-10T00:00:00Z', card: VISA }], {
      invoices: [
        { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2025-11-30 – 2025-12-30' },
        { seq: 2, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000, period: '2025-12-30 – 2026-01-30' },
        { seq: 3, kind: 'reactivation', status: 'void', lines: [1_000, 19_828], creditApplied: 5_000, amountDue: 15_828, period: '2026-02-05 – 2026-02-28' },
        { seq: 4, kind: 'reactivation', status: 'paid', lines: [1_000, 16_667], creditApplied: 5_000, amountDue: 12_667, period: '2026-03-10 – 2026-03-30' },
      ],
      charges: [...unpaidCharges, '2026-02-05 #2 25000 succeeded 4242', '2026-02-05 #3 15828 failed 4242', '2026-03-10 #4 12667 succeeded 4242'],
      history: [...unpaidHistory, 'unpaid→active 2026-03-10'],
      periodAfter: '2026-02-28 – 2026-03-30',
      reactivatedMail: 'the current period ends on March 30, 2026',
    });
    expect(Number((await t.knex('billing_accounts').where({ organization_id: orgId }).first()).credit_balance_cents)).toBe(0);
  });
});

describe('what older code left, and deletion (R9.8, R3.9)', () => {
  const unpaidAfterJan30: Step[] = [...unpaidOnJan27, { at: '2026-01-30T00:00:00Z', pass: true }];

  it('an open reactivation invoice whose decline was recorded before declines voided it is voided before anything is charged', async () => {
    const { orgId, owner } = await play(t, {
      name: 'Left Open Co',
      steps: [...unpaidAfterJan30, { at: '2026-02-05T00:00:00Z', issuerDeclines: 3 }, { at: '2026-02-05T00:00:00Z', card: VISA }],
      invoices: [],
      creditBalance: 0,
    });
    // What the code before this fix left: #3 open after its decline, the account in Jan 30 – Feb 28, no prior period kept on the invoice.
    await t.knex('invoices').where({ organization_id: orgId, seq: 3 }).update({ status: 'open', prior_period_start: null, prior_period_end: null });
    await t.knex
      ('billing_accounts')
      .where({ organization_id: orgId })
      .update({ current_period_start: Date.parse('2026-01-30T00:00:00Z'), current_period_end: Date.parse('2026-02-28T00:00:00Z') });

    t.clock.set('2026-03-10T00:00:00Z');
    const r = await replaceCard(t.deps, { organizationId: orgId, actor: owner, card: { kind: 'card', number: VISA, expMonth: 12, expYear: 2030, cvc: '123' } });
    expect(r.ok && r.reactivation?.ok).toBe(true);
    const records = await recordsOf(t, orgId);
    // #3 (19828, Feb 5 – Feb 28, spent Unpaid) is not collected; #4 is the rest of Feb 28 – Mar 30: 25000 × 20 / 30 = 16667.
    expect(records.charges.filter((c) => c.at >= '2026-02-05').map((c) => `${when(c.at)} #${c.seq} ${c.amount} ${c.status}`)).toEqual([
      '2026-02-05 #2 25000 succeeded',
      '2026-02-05 #3 19828 failed',
      '2026-03-10 #4 16667 succeeded',
    ]);
    const invoices = await t.knex('invoices').where({ organization_id: orgId }).orderBy('seq').select('seq', 'status');
    expect(invoices.map((i: { seq: number; status: string }) => `#${i.seq} ${i.status}`)).toEqual(['#1 paid', '#2 paid', '#3 void', '#4 paid']);
    expect(records.status).toBe('active');
  });

  it('Pay now passed its checks, then another Administrator deletes the organization: its debt is collected, no new period billed, not reactivated', async () => {
    const { orgId, owner } = await play(t, { name: 'Deleted Meanwhile Co', steps: unpaidAfterJan30, invoices: [], creditBalance: 0 });
    t.clock.set('2026-02-05T00:00:00Z');
    // A working card on file, saved without reactivating (as if a moment before Pay now).
    const account = await t.knex('billing_accounts').where({ organization_id: orgId }).first();
    const saved = await t.gateway.saveCard(account.customer_ref, { kind: 'card', number: VISA, expMonth: 12, expYear: 2030, cvc: '123' });
    if (!saved.ok) throw new Error('card not saved');
    await t.knex('billing_accounts').where({ organization_id: orgId }).update({ payment_method_ref: saved.card.paymentMethodRef, card_brand: saved.card.brand, card_last4: saved.card.last4 });
    // The deletion lands while Pay now is charging #2, before it bills the current period.
    const charge = t.gateway.charge;
    t.gateway.charge = async (request) => {
      const result = await charge.call(t.gateway, request);
      t.gateway.charge = charge;
      const organization = (await findOrganizationById(t.deps.db, orgId))!;
      expect(await deleteOrganization(t.deps, { organization, actor: owner, confirmName: organization.name })).toMatchObject({ ok: true });
      return result;
    };
    const result = await payNow(t.deps, { organizationId: orgId, actor: userActor(owner), by: 'administrator' }).finally(() => {
      t.gateway.charge = charge;
    });
    expect(result).toMatchObject({ ok: true, paidCents: 25_000, failure: 'The organization has been deleted.', reactivated: false });
    const invoices = await t.knex('invoices').where({ organization_id: orgId }).orderBy('seq').select('seq', 'kind', 'status');
    expect(invoices.map((i: { seq: number; kind: string; status: string }) => `#${i.seq} ${i.kind} ${i.status}`)).toEqual(['#1 first paid', '#2 renewal paid']);
    const records = await recordsOf(t, orgId);
    expect(records.status).toBe('unpaid');
    expect(records.history.map((h) => `${h.from}→${h.to}`)).toEqual(['active→past_due', 'past_due→unpaid']);
    expect(records.mails.filter((m) => m.at >= '2026-02-05').map((m) => m.kind)).toEqual(['receipt']);
  });
});
