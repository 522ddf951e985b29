import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestContext } from '../../support/app.ts';
import { play, recordsOf, type Scenario, type Step, type StepResult } from './runner.ts';

/**
 * Golden failed-payment timelines (R9.7, R9.8, R9.9, R9.12, R9.13): every
 * pass is a whole scheduler pass in the real job order, and each timeline is
 * checked against its invoices, its status history with causes, the billing
 * emails sent, and the simulated gateway's own ledger.
 *
 * Notation: a charge is `when #invoice-seq cents status [failure] last4`; an
 * email is `kind when [what it promises]`; a time of day is shown only when
 * it is not midnight UTC.
 */

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const DECLINED = '4000000000000341'; // attaches, then every charge is declined
const VISA = '4242424242424242';
const MASTERCARD = '5555555555554444';

interface Expected {
  invoices: { seq: number; kind: string; status: string; amountDue: number; amountPaid: number; lines?: number[]; periodStart?: string }[];
  status: 'active' | 'past_due' | 'unpaid';
  history: string[];
  mails: string[];
  charges: string[];
  refunds?: number[];
  creditBalance?: number;
}

interface FailedPaymentScenario {
  name: string;
  steps: Step[];
  expected: Expected;
  /** Scenario-specific checks beyond the common ones. */
  also?: (ctx: { orgId: number; results: StepResult[]; records: Awaited<ReturnType<typeof recordsOf>> }) => Promise<void> | void;
}

const when = (isoString: string) => (isoString.endsWith('T00:00:00.000Z') ? isoString.slice(0, 10) : `${isoString.slice(0, 10)} ${isoString.slice(11, 16)}`);

function mailLine(m: { kind: string; at: string; text: string }): string {
  const promise =
    m.kind === 'payment_failed'
      ? (/We will try again on ([^.]+)\./.exec(m.text)?.[1] ?? (m.text.includes('This was the last automatic attempt.') ? 'last attempt' : '?'))
      : m.kind === 'past_due_reminder'
        ? /charge the card on file again on ([^.]+)\./.exec(m.text)?.[1]
        : m.kind === 'receipt'
          ? /We received (\$[\d,.]+)/.exec(m.text)?.[1]
          : m.kind === 'refund'
            ? /We refunded (\$[\d,.]+)/.exec(m.text)?.[1]
            : undefined;
  return [m.kind, when(m.at), promise].filter(Boolean).join(' ');
}

const chargeLine = (c: { at: string; seq: number | null; amount: number; status: string; failure?: string; last4: string }) =>
  [when(c.at), `#${c.seq ?? '?'}`, c.amount, c.status, c.failure, c.last4].filter((x) => x !== undefined).join(' ');

/** What each saved card returned, in order. */
function cardResults(results: StepResult[]) {
  return results.flatMap((r) => ('card' in r && r.card.ok ? [r.card] : []));
}

const FIRST_INVOICE = { seq: 1, kind: 'first', status: 'paid', amountDue: 25_000, amountPaid: 25_000 };
const FIRST_CHARGE = '2026-04-01 #1 25000 succeeded 4242';
/** The first charge has its receipt too (R9.12). */
const FIRST_RECEIPT = 'receipt 2026-04-01 $250.00';
const DECLINE_MSG = 'Payment of invoice failed: Your card was declined.';

/** Created on Starter ($250) on April 1 with a good card; the declining card saved on April 20. */
const failingFromMay: Step[] = [
  { at: '2026-04-01T00:00:00Z', create: 'starter' },
  { at: '2026-04-20T00:00:00Z', card: DECLINED },
];

/**
 * The renewal pass of May 1 did not run until May 20 (the scheduler was
 * down), so the organization becomes Past Due mid-period and its June 1
 * period ends while it is Past Due; retries fall on May 27, June 3, 10, 17.
 */
const pastDueFromMay20UntilUnpaid: Step[] = [
  ...failingFromMay,
  { at: '2026-05-20T00:00:00Z', pass: true },
  { at: '2026-05-27T00:00:00Z', pass: true },
  { at: '2026-06-01T00:00:00Z', pass: true },
  { at: '2026-06-03T00:00:00Z', pass: true },
  { at: '2026-06-10T00:00:00Z', pass: true },
  { at: '2026-06-17T00:00:00Z', pass: true },
  { at: '2026-07-01T00:00:00Z', pass: true },
];
const untilUnpaidMails = [
  FIRST_RECEIPT,
  'payment_failed 2026-05-20 May 27, 2026',
  'payment_failed 2026-05-27 June 3, 2026',
  'payment_failed 2026-06-03 June 10, 2026',
  'payment_failed 2026-06-10 June 17, 2026',
  'payment_failed 2026-06-17 last attempt',
  'unpaid_notice 2026-06-17',
];
const untilUnpaidCharges = [
  FIRST_CHARGE,
  '2026-05-20 #2 25000 failed card_declined 0341',
  '2026-05-27 #2 25000 failed card_declined 0341',
  // Oldest first, and an attempt stops at its first failure: #3 is not tried.
  '2026-06-03 #2 25000 failed card_declined 0341',
  '2026-06-10 #2 25000 failed card_declined 0341',
  '2026-06-17 #2 25000 failed card_declined 0341',
];
const untilUnpaidHistory = [
  `active→past_due 2026-05-20 ${DECLINE_MSG}`,
  'past_due→unpaid 2026-06-17 No successful payment within 28 days of becoming Past Due',
];

const scenarios: FailedPaymentScenario[] = [
  {
    name: 'fails on renewal, paid on the day-7 retry with a card saved meanwhile',
    steps: [
      ...failingFromMay,
      { at: '2026-05-01T00:00:00Z', pass: true },
      { at: '2026-05-03T00:00:00Z', card: VISA },
      { at: '2026-05-07T00:00:00Z', pass: true },
      { at: '2026-05-08T00:00:00Z', pass: true },
      { at: '2026-05-08T00:00:00Z', pass: true }, // the same instant again changes nothing (R12.2)
      { at: '2026-05-15T00:00:00Z', pass: true },
    ],
    expected: {
      invoices: [FIRST_INVOICE, { seq: 2, kind: 'renewal', status: 'paid', amountDue: 25_000, amountPaid: 25_000, periodStart: '2026-05-01T00:00:00.000Z' }],
      status: 'active',
      history: [`active→past_due 2026-05-01 ${DECLINE_MSG}`, 'past_due→active 2026-05-08 Paid on the day-7 retry'],
      mails: [FIRST_RECEIPT, 'payment_failed 2026-05-01 May 8, 2026', 'past_due_reminder 2026-05-07 May 8, 2026', 'receipt 2026-05-08 $250.00'],
      charges: [FIRST_CHARGE, '2026-05-01 #2 25000 failed card_declined 0341', '2026-05-08 #2 25000 succeeded 4242'],
    },
  },
  {
    name: 'fails through day 28: Unpaid, then no retries and no period invoices',
    steps: [
      ...failingFromMay,
      ...['05-01', '05-07', '05-08', '05-14', '05-15', '05-21', '05-22', '05-28', '05-29', '06-01', '06-05', '07-01', '07-15'].map((d) => ({ at: `2026-${d}T00:00:00Z`, pass: true as const })),
    ],
    expected: {
      invoices: [FIRST_INVOICE, { seq: 2, kind: 'renewal', status: 'open', amountDue: 25_000, amountPaid: 0 }],
      status: 'unpaid',
      history: [`active→past_due 2026-05-01 ${DECLINE_MSG}`, 'past_due→unpaid 2026-05-29 No successful payment within 28 days of becoming Past Due'],
      mails: [
        FIRST_RECEIPT,
        'payment_failed 2026-05-01 May 8, 2026',
        'past_due_reminder 2026-05-07 May 8, 2026',
        'payment_failed 2026-05-08 May 15, 2026',
        'past_due_reminder 2026-05-14 May 15, 2026',
        'payment_failed 2026-05-15 May 22, 2026',
        'past_due_reminder 2026-05-21 May 22, 2026',
        'payment_failed 2026-05-22 May 29, 2026',
        'past_due_reminder 2026-05-28 May 29, 2026',
        'payment_failed 2026-05-29 last attempt',
        'unpaid_notice 2026-05-29',
      ],
      charges: [
        FIRST_CHARGE,
        ...['05-01', '05-08', '05-15', '05-22', '05-29'].map((d) => `2026-${d} #2 25000 failed card_declined 0341`),
      ],
    },
    also: ({ records }) => {
      const notice = records.mails.find((m) => m.kind === 'unpaid_notice')!;
      expect(notice.text).toContain('We could not collect $250.00');
    },
  },
  {
    name: 'a card replaced on day 10 is the one charged on day 14',
    steps: [
      ...failingFromMay,
      { at: '2026-05-01T00:00:00Z', pass: true },
      { at: '2026-05-07T00:00:00Z', pass: true },
      { at: '2026-05-08T00:00:00Z', pass: true },
      { at: '2026-05-11T00:00:00Z', card: MASTERCARD },
      { at: '2026-05-14T00:00:00Z', pass: true },
      { at: '2026-05-15T00:00:00Z', pass: true },
    ],
    expected: {
      invoices: [FIRST_INVOICE, { seq: 2, kind: 'renewal', status: 'paid', amountDue: 25_000, amountPaid: 25_000 }],
      status: 'active',
      history: [`active→past_due 2026-05-01 ${DECLINE_MSG}`, 'past_due→active 2026-05-15 Paid on the day-14 retry'],
      mails: [
        FIRST_RECEIPT,
        'payment_failed 2026-05-01 May 8, 2026',
        'past_due_reminder 2026-05-07 May 8, 2026',
        'payment_failed 2026-05-08 May 15, 2026',
        'past_due_reminder 2026-05-14 May 15, 2026',
        'receipt 2026-05-15 $250.00',
      ],
      charges: [FIRST_CHARGE, '2026-05-01 #2 25000 failed card_declined 0341', '2026-05-08 #2 25000 failed card_declined 0341', '2026-05-15 #2 25000 succeeded 4444'],
    },
    also: async ({ orgId, records }) => {
      expect(records.mails.at(-1)!.text).toContain('charged to Mastercard ending in 4444');
      const attempts = await t.knex('payment_attempts').where({ organization_id: orgId, status: 'succeeded' }).orderBy('id').select('card_brand', 'card_last4');
      expect(attempts.at(-1)).toEqual({ card_brand: 'mastercard', card_last4: '4444' });
    },
  },
  {
    name: 'a period ending while Past Due is invoiced, and the next retry charges both, oldest first',
    steps: [
      ...failingFromMay,
      { at: '2026-05-20T00:00:00Z', pass: true }, // the May 1 renewal runs late: Past Due mid-period
      { at: '2026-05-26T00:00:00Z', pass: true },
      { at: '2026-05-27T00:00:00Z', pass: true },
      { at: '2026-06-01T00:00:00Z', pass: true }, // June is invoiced, not charged
      { at: '2026-06-02T00:00:00Z', card: VISA },
      { at: '2026-06-02T00:00:00Z', pass: true },
      { at: '2026-06-03T00:00:00Z', pass: true },
    ],
    expected: {
      invoices: [
        FIRST_INVOICE,
        { seq: 2, kind: 'renewal', status: 'paid', amountDue: 25_000, amountPaid: 25_000, periodStart: '2026-05-01T00:00:00.000Z' },
        { seq: 3, kind: 'renewal', status: 'paid', amountDue: 25_000, amountPaid: 25_000, periodStart: '2026-06-01T00:00:00.000Z' },
      ],
      status: 'active',
      history: [`active→past_due 2026-05-20 ${DECLINE_MSG}`, 'past_due→active 2026-06-03 Paid on the day-14 retry'],
      mails: [
        FIRST_RECEIPT,
        'payment_failed 2026-05-20 May 27, 2026',
        'past_due_reminder 2026-05-26 May 27, 2026',
        'payment_failed 2026-05-27 June 3, 2026',
        'past_due_reminder 2026-06-02 June 3, 2026',
        'receipt 2026-06-03 $250.00',
        'receipt 2026-06-03 $250.00',
      ],
      charges: [
        FIRST_CHARGE,
        '2026-05-20 #2 25000 failed card_declined 0341',
        '2026-05-27 #2 25000 failed card_declined 0341',
        '2026-06-03 #2 25000 succeeded 4242',
        '2026-06-03 #3 25000 succeeded 4242',
      ],
    },
    also: async ({ orgId }) => {
      const reminder = await t.knex('mail_outbox').where({ organization_id: orgId, kind: 'past_due_reminder' }).orderBy('id', 'desc').first();
      expect(reminder.text_body).toContain('owes $500.00');
    },
  },
  {
    name: 'Pay now with a new card settles at once',
    steps: [
      ...failingFromMay,
      { at: '2026-05-01T00:00:00Z', pass: true },
      { at: '2026-05-02T10:00:00Z', payNow: true }, // the same card: fails again, no new schedule
      { at: '2026-05-03T10:00:00Z', card: VISA },
      { at: '2026-05-03T10:05:00Z', payNow: true },
      { at: '2026-05-08T00:00:00Z', pass: true },
    ],
    expected: {
      invoices: [FIRST_INVOICE, { seq: 2, kind: 'renewal', status: 'paid', amountDue: 25_000, amountPaid: 25_000 }],
      status: 'active',
      history: [`active→past_due 2026-05-01 ${DECLINE_MSG}`, 'past_due→active 2026-05-03 10:05 Every open invoice paid (Pay now)'],
      mails: [FIRST_RECEIPT, 'payment_failed 2026-05-01 May 8, 2026', 'payment_failed 2026-05-02 10:00 May 8, 2026', 'receipt 2026-05-03 10:05 $250.00'],
      charges: [FIRST_CHARGE, '2026-05-01 #2 25000 failed card_declined 0341', '2026-05-02 10:00 #2 25000 failed card_declined 0341', '2026-05-03 10:05 #2 25000 succeeded 4242'],
    },
  },
  {
    // R9.8: the original anchor (the 1st) is kept. Unpaid from June 17 with #2 (May) and #3 (June) open;
    // the July period began while Unpaid and has no invoice. Reactivated July 10 12:00: the rest of
    // July is billed: 1,857,600 of July's 2,678,400 seconds (21.5 of 31 days),
    // 25000 × 1857600 / 2678400 = 17338.71 → 17339. The next renewal is on August 1, as always.
    name: 'Unpaid with two open invoices, reactivated a period later: both paid, the rest of the current period billed once',
    steps: [
      ...pastDueFromMay20UntilUnpaid,
      { at: '2026-07-10T12:00:00Z', card: VISA },
      { at: '2026-07-20T00:00:00Z', pass: true },
      { at: '2026-08-10T12:00:00Z', pass: true },
    ],
    expected: {
      invoices: [
        FIRST_INVOICE,
        { seq: 2, kind: 'renewal', status: 'paid', amountDue: 25_000, amountPaid: 25_000, periodStart: '2026-05-01T00:00:00.000Z' },
        { seq: 3, kind: 'renewal', status: 'paid', amountDue: 25_000, amountPaid: 25_000, periodStart: '2026-06-01T00:00:00.000Z' },
        // No July 1 invoice (Unpaid); the reactivation bills July 10 12:00 – August 1.
        { seq: 4, kind: 'reactivation', status: 'paid', amountDue: 17_339, amountPaid: 17_339, lines: [17_339], periodStart: '2026-07-10T12:00:00.000Z' },
        { seq: 5, kind: 'renewal', status: 'paid', amountDue: 25_000, amountPaid: 25_000, periodStart: '2026-08-01T00:00:00.000Z' },
      ],
      status: 'active',
      history: [...untilUnpaidHistory, 'unpaid→active 2026-07-10 12:00 Reactivated: every open invoice paid with a new card'],
      mails: [
        ...untilUnpaidMails,
        'receipt 2026-07-10 12:00 $250.00',
        'receipt 2026-07-10 12:00 $250.00',
        'receipt 2026-07-10 12:00 $173.39',
        'reactivated 2026-07-10 12:00',
        // The August 1 renewal, charged by the pass that ran on August 10.
        'receipt 2026-08-10 12:00 $250.00',
      ],
      charges: [
        ...untilUnpaidCharges,
        '2026-07-10 12:00 #2 25000 succeeded 4242',
        '2026-07-10 12:00 #3 25000 succeeded 4242',
        '2026-07-10 12:00 #4 17339 succeeded 4242',
        '2026-08-10 12:00 #5 25000 succeeded 4242',
      ],
    },
    also: async ({ orgId, results, records }) => {
      const saved = cardResults(results);
      expect(saved[0]!.reactivation).toBeNull(); // the declining card, saved while Active
      expect(saved[1]!.reactivation).toMatchObject({ ok: true });
      expect(saved[1]!.reactivation?.charged.map((c) => c.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      const account = await t.knex('billing_accounts').where({ organization_id: orgId }).first();
      expect([account.period_anchor, account.current_period_start, account.current_period_end].map((v: number) => new Date(Number(v)).toISOString())).toEqual([
        '2026-04-01T00:00:00.000Z',
        '2026-08-01T00:00:00.000Z',
        '2026-09-01T00:00:00.000Z',
      ]);
      expect(records.mails.find((m) => m.kind === 'reactivated')!.text).toContain('the current period ends on August 1, 2026');
    },
  },
  {
    // Jul 12 09:00 → Aug 1: 19 days 15 hours = 1,695,600 s of 2,678,400: 25000 × 1695600 / 2678400 = 15826.61 → 15827.
    name: 'a reactivation where one charge fails stays Unpaid, and what was paid stays paid',
    steps: [
      ...pastDueFromMay20UntilUnpaid,
      { at: '2026-07-10T12:00:00Z', issuerDeclines: 3 },
      { at: '2026-07-10T12:00:00Z', card: VISA },
      { at: '2026-07-11T00:00:00Z', pass: true }, // Unpaid: no automatic retry
      { at: '2026-07-12T09:00:00Z', card: MASTERCARD },
    ],
    expected: {
      invoices: [
        FIRST_INVOICE,
        { seq: 2, kind: 'renewal', status: 'paid', amountDue: 25_000, amountPaid: 25_000 },
        { seq: 3, kind: 'renewal', status: 'paid', amountDue: 25_000, amountPaid: 25_000 },
        { seq: 4, kind: 'reactivation', status: 'paid', amountDue: 15_827, amountPaid: 15_827, periodStart: '2026-07-12T09:00:00.000Z' },
      ],
      status: 'active',
      history: [...untilUnpaidHistory, 'unpaid→active 2026-07-12 09:00 Reactivated: every open invoice paid with a new card'],
      mails: [...untilUnpaidMails, 'receipt 2026-07-10 12:00 $250.00', 'receipt 2026-07-12 09:00 $250.00', 'receipt 2026-07-12 09:00 $158.27', 'reactivated 2026-07-12 09:00'],
      charges: [
        ...untilUnpaidCharges,
        '2026-07-10 12:00 #2 25000 succeeded 4242',
        '2026-07-10 12:00 #3 25000 failed insufficient_funds 4242',
        '2026-07-12 09:00 #3 25000 succeeded 4444',
        '2026-07-12 09:00 #4 15827 succeeded 4444',
      ],
    },
    also: async ({ orgId, results }) => {
      const saved = cardResults(results);
      const slug = (await t.knex('organizations').where({ id: orgId }).first('slug')).slug as string;
      expect(saved[1]!.reactivation).toMatchObject({ ok: false, failed: { invoiceNumber: `${slug.toUpperCase()}-000003`, message: 'Your card has insufficient funds.' } });
      expect(saved[2]!.reactivation).toMatchObject({ ok: true });
    },
  },
  {
    name: 'deleting a Past Due organization keeps its debt open and stops the retries',
    steps: [
      ...failingFromMay,
      { at: '2026-05-01T00:00:00Z', pass: true },
      { at: '2026-05-05T00:00:00Z', delete: true },
      ...['05-07', '05-08', '05-15', '05-22', '05-29', '06-01', '07-01'].map((d) => ({ at: `2026-${d}T00:00:00Z`, pass: true as const })),
    ],
    expected: {
      invoices: [FIRST_INVOICE, { seq: 2, kind: 'renewal', status: 'open', amountDue: 25_000, amountPaid: 0 }],
      status: 'past_due',
      history: [`active→past_due 2026-05-01 ${DECLINE_MSG}`],
      mails: [FIRST_RECEIPT, 'payment_failed 2026-05-01 May 8, 2026'],
      charges: [FIRST_CHARGE, '2026-05-01 #2 25000 failed card_declined 0341'],
    },
    also: async ({ orgId, results }) => {
      expect(results.find((r) => 'delete' in r)).toMatchObject({ delete: { ok: true, finalInvoice: null, charge: null, refundedCents: 0 } });
      expect((await t.knex('organizations').where({ id: orgId }).first()).deleted_at).toBe(Date.parse('2026-05-05T00:00:00Z'));
    },
  },
  {
    name: 'deleting after a downgrade refunds the credit to the card',
    steps: [
      { at: '2026-04-01T00:00:00Z', create: 'business' },
      { at: '2026-04-21T00:00:00Z', changePlan: 'starter' },
      { at: '2026-04-25T00:00:00Z', delete: true },
      { at: '2026-05-01T00:00:00Z', pass: true },
    ],
    expected: {
      invoices: [
        { seq: 1, kind: 'first', status: 'paid', amountDue: 250_000, amountPaid: 250_000 },
        // ⅓ of the period left: −83333 Business, +8333 Starter; the net −75000 becomes credit
        // (shown below the total, not as a line).
        { seq: 2, kind: 'final', status: 'paid', amountDue: 0, amountPaid: 0, lines: [-83_333, 8_333] },
      ],
      status: 'active',
      history: [],
      // The refund has its notice, with its amount (R9.12).
      mails: ['receipt 2026-04-01 $2,500.00', 'refund 2026-04-25 $750.00'],
      charges: ['2026-04-01 #1 250000 succeeded 4242'],
      refunds: [75_000],
      creditBalance: 0,
    },
    also: async ({ orgId, results, records }) => {
      expect(results.find((r) => 'delete' in r)).toMatchObject({ delete: { ok: true, charge: null, refundedCents: 75_000, refundFailedCents: 0 } });
      expect(records.refunds[0]!.chargeRef).toBe(records.charges[0]!.ref);
      expect(Number((await t.knex('sim_charges').where({ ref: records.charges[0]!.ref }).first()).refunded_cents)).toBe(75_000);
      const ledger = await t.knex('credit_ledger').where({ organization_id: orgId }).orderBy('id').select('amount_cents', 'reason');
      expect(ledger.map((l: { amount_cents: number; reason: string }) => [Number(l.amount_cents), l.reason.replace(/[A-Z0-9]+-\d{6}/, 'N').replace(/charge \d+/, 'charge C')])).toEqual([
        [75_000, 'Net credit of final invoice N'],
        [-75_000, 'Refunded to card (charge C)'],
      ]);
    },
  },
  {
    name: 'deleting with overage since the last invoice issues and charges a final invoice',
    steps: [
      { at: '2026-04-01T00:00:00Z', create: 'starter' },
      { at: '2026-04-20T00:00:00Z', payloads: 30_000_000 },
      { at: '2026-04-25T00:00:00Z', delete: true },
      { at: '2026-05-01T00:00:00Z', pass: true },
    ],
    expected: {
      invoices: [FIRST_INVOICE, { seq: 2, kind: 'final', status: 'paid', amountDue: 5_000, amountPaid: 5_000, lines: [5_000] }],
      status: 'active',
      history: [],
      // The final invoice's charge has its receipt (R9.12).
      mails: [FIRST_RECEIPT, 'receipt 2026-04-25 $50.00'],
      charges: [FIRST_CHARGE, '2026-04-25 #2 5000 succeeded 4242'],
      refunds: [],
    },
    also: ({ results }) => {
      expect(results.find((r) => 'delete' in r)).toMatchObject({ delete: { ok: true, finalInvoice: { amountDueCents: 5_000 }, charge: { status: 'succeeded', amountCents: 5_000 } } });
    },
  },
];

describe('golden failed-payment timelines (R9.7–R9.9, R9.12, R9.13)', () => {
  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      const asScenario: Scenario = { name: scenario.name, steps: scenario.steps, invoices: [], creditBalance: 0 };
      const { orgId, owner, billed, results, creditBalance } = await play(t, asScenario);
      const records = await recordsOf(t, orgId);
      const e = scenario.expected;

      expect(
        billed.map((b) => ({
          seq: b.seq,
          kind: b.kind,
          status: b.status,
          amountDue: b.amountDue,
          amountPaid: b.amountPaid,
          ...(e.invoices.find((i) => i.seq === b.seq)?.lines ? { lines: b.lines } : {}),
          ...(e.invoices.find((i) => i.seq === b.seq)?.periodStart ? { periodStart: b.periodStart } : {}),
        })),
      ).toEqual(e.invoices);
      expect(records.status).toBe(e.status);
      expect(records.history.map((h) => `${h.from}→${h.to} ${when(h.at)} ${h.cause}`)).toEqual(e.history);
      expect(records.mails.map(mailLine)).toEqual(e.mails);
      for (const m of records.mails) expect(m.to).toBe(owner.email);
      expect(records.charges.map(chargeLine)).toEqual(e.charges);
      expect(records.refunds.map((r) => r.amount)).toEqual(e.refunds ?? []);
      if (e.creditBalance !== undefined) expect(creditBalance).toBe(e.creditBalance);

      // Books and gateway agree: what an invoice shows as paid is what the gateway charged, once.
      const succeeded = records.charges.filter((c) => c.status === 'succeeded');
      for (const inv of billed) {
        const paid = succeeded.filter((c) => c.seq === inv.seq);
        expect(paid.length, `successful charges of invoice ${inv.seq}`).toBe(inv.status === 'paid' && inv.amountDue > 0 ? 1 : 0);
        expect(paid.reduce((s, c) => s + c.amount, 0)).toBe(inv.amountPaid);
      }
      expect(await t.knex('payment_attempts').where({ organization_id: orgId, status: 'pending' })).toHaveLength(0);
      // Every successful charge has exactly one receipt, for its amount (R9.12).
      const receipts = records.mails.filter((m) => m.kind === 'receipt').map((m) => Math.round(Number(/We received \$([\d,.]+)/.exec(m.text)![1]!.replace(/,/g, '')) * 100));
      expect(receipts).toEqual(succeeded.map((c) => c.amount));

      await scenario.also?.({ orgId, results, records });
    });
  }
});
