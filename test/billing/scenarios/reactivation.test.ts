import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestContext } from '../../support/app.ts';
import { play, recordsOf, type Step } from './runner.ts';

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
  invoices: { seq: number; kind: string; status: string; lines: number[]; amountDue: number; period: string }[];
  charges: string[];
  history: string[];
  periodAfter: string;
  reactivatedMail: string;
}

const when = (iso: string) => (iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`);

async function check(steps: Step[], e: Expected) {
  const { orgId, billed } = await play(t, { name: 'Reactivation Co', steps, invoices: [], creditBalance: 0 });
  const records = await recordsOf(t, orgId);
  const invoices = await t.deps.db('invoices').where({ organization_id: orgId }).orderBy('seq');
  expect(
    billed.map((b, i) => ({
      seq: b.seq,
      kind: b.kind,
      status: b.status,
      lines: b.lines,
      amountDue: b.amountDue,
      period: `${when(new Date(Number(invoices[i].period_start)).toISOString())} – ${when(new Date(Number(invoices[i].period_end)).toISOString())}`,
    })),
  ).toEqual(e.invoices);
  expect(records.charges.map((c) => `${when(c.at)} #${c.seq} ${c.amount} ${c.status} ${c.last4}`)).toEqual(e.charges);
  expect(records.history.map((h) => `${h.from}→${h.to} ${when(h.at)}`)).toEqual(e.history);
  expect(records.status).toBe('active');
  const account = await t.deps.db('billing_accounts').where({ organization_id: orgId }).first();
  expect(`${when(new Date(Number(account.current_period_start)).toISOString())} – ${when(new Date(Number(account.current_period_end)).toISOString())}`).toBe(e.periodAfter);

  // No second of service billed twice: the subscription lines' periods never overlap.
  const subscriptions = await t.deps
    .db('invoice_lines as l')
    .join('invoices as i', 'i.id', 'l.invoice_id')
    .where({ 'i.organization_id': orgId, 'l.kind': 'subscription' })
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
