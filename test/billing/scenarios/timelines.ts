import type { Scenario } from './runner.ts';

// Golden timelines (R9.2–R9.5): expected invoices to the cent, worked out by hand.
export const scenarios: Scenario[] = [
  {
    name: 'month-end anchor: Jan 31 → Feb 28 → Mar 31 (R9.2)',
    steps: [
      { at: '2026-01-31T10:00:00Z', create: 'starter' },
      { at: '2026-02-28T10:00:00Z', pass: true },
      { at: '2026-03-31T10:00:00Z', pass: true },
    ],
    invoices: [
      { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000 },
      { seq: 2, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000 },
      { seq: 3, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000 },
    ],
    creditBalance: 0,
  },
  {
    name: 'leap year: Jan 30, 2028 renews on Feb 29',
    steps: [
      { at: '2028-01-30T00:00:00Z', create: 'starter' },
      { at: '2028-02-28T23:59:59Z', pass: true },
      { at: '2028-02-29T00:00:00Z', pass: true },
    ],
    invoices: [
      { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000 },
      { seq: 2, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000 },
    ],
    creditBalance: 0,
  },
  {
    name: 'upgrade Starter → Professional halfway through a 30-day period',
    steps: [
      { at: '2026-04-01T00:00:00Z', create: 'starter' },
      { at: '2026-04-16T00:00:00Z', changePlan: 'professional' },
      { at: '2026-05-01T00:00:00Z', pass: true },
    ],
    invoices: [
      { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000 },
      // −25000 × ½, +100000 × ½, then Professional for May.
      { seq: 2, kind: 'renewal', status: 'paid', lines: [-12_500, 50_000, 100_000], amountDue: 137_500 },
    ],
    creditBalance: 0,
  },
  {
    name: 'upgrade on Feb 10 12:00 in a Jan 31 anchor period, to the second',
    steps: [
      { at: '2026-01-31T00:00:00Z', create: 'starter' },
      { at: '2026-02-10T12:00:00Z', changePlan: 'professional' },
      { at: '2026-02-28T00:00:00Z', pass: true },
    ],
    invoices: [
      { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000 },
      // 1,512,000 of 2,419,200 seconds remain: −15625, +62500; then Professional Feb 28 – Mar 31.
      { seq: 2, kind: 'renewal', status: 'paid', lines: [-15_625, 62_500, 100_000], amountDue: 146_875 },
    ],
    creditBalance: 0,
  },
  {
    name: 'downgrade Business → Starter with ⅓ left: net credit carried over two periods',
    steps: [
      { at: '2026-04-01T00:00:00Z', create: 'business' },
      { at: '2026-04-21T00:00:00Z', changePlan: 'starter' },
      { at: '2026-05-01T00:00:00Z', pass: true },
      { at: '2026-06-01T00:00:00Z', pass: true },
      { at: '2026-07-01T00:00:00Z', pass: true },
      { at: '2026-08-01T00:00:00Z', pass: true },
    ],
    invoices: [
      { seq: 1, kind: 'first', status: 'paid', lines: [250_000], amountDue: 250_000 },
      // −83333 (250000 ⅓), +8333 (25000 ⅓), Starter 25000 = −50000: billed 0, 50000 to credit
      // (shown below the total, not as a line).
      { seq: 2, kind: 'renewal', status: 'paid', lines: [-83_333, 8_333, 25_000], creditApplied: 0, amountDue: 0 },
      { seq: 3, kind: 'renewal', status: 'paid', lines: [25_000], creditApplied: 25_000, amountDue: 0 },
      { seq: 4, kind: 'renewal', status: 'paid', lines: [25_000], creditApplied: 25_000, amountDue: 0 },
      { seq: 5, kind: 'renewal', status: 'paid', lines: [25_000], creditApplied: 0, amountDue: 25_000 },
    ],
    creditBalance: 0,
  },
  {
    name: 'two changes in one period each prorate from their own instant',
    steps: [
      { at: '2026-04-01T00:00:00Z', create: 'starter' },
      { at: '2026-04-11T00:00:00Z', changePlan: 'professional' },
      { at: '2026-04-21T00:00:00Z', changePlan: 'business' },
      { at: '2026-05-01T00:00:00Z', pass: true },
    ],
    invoices: [
      { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000 },
      // ⅔ left: −16667, +66667; ⅓ left: −33333, +83333; Business for May.
      { seq: 2, kind: 'renewal', status: 'paid', lines: [-16_667, 66_667, -33_333, 83_333, 250_000], amountDue: 350_000 },
    ],
    creditBalance: 0,
  },
  {
    name: 'overage on Starter: 30M payloads, 5M over at $10 per million',
    steps: [
      { at: '2026-04-01T00:00:00Z', create: 'starter' },
      { at: '2026-04-20T00:00:00Z', payloads: 30_000_000 },
      { at: '2026-05-01T00:00:00Z', pass: true },
    ],
    invoices: [
      { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000 },
      { seq: 2, kind: 'renewal', status: 'paid', lines: [5_000, 25_000], amountDue: 30_000 },
    ],
    creditBalance: 0,
  },
  {
    name: 'overage on Professional: 66,667 over at $7.50 per million rounds half up to 50¢',
    steps: [
      { at: '2026-04-01T00:00:00Z', create: 'professional' },
      { at: '2026-04-20T00:00:00Z', payloads: 100_066_667 },
      { at: '2026-05-01T00:00:00Z', pass: true },
    ],
    invoices: [
      { seq: 1, kind: 'first', status: 'paid', lines: [100_000], amountDue: 100_000 },
      { seq: 2, kind: 'renewal', status: 'paid', lines: [50, 100_000], amountDue: 100_050 },
    ],
    creditBalance: 0,
  },
  {
    name: 'overage on Business: 12,345,678 over at $5 per million is $61.73',
    steps: [
      { at: '2026-04-01T00:00:00Z', create: 'business' },
      { at: '2026-04-20T00:00:00Z', payloads: 512_345_678 },
      { at: '2026-05-01T00:00:00Z', pass: true },
    ],
    invoices: [
      { seq: 1, kind: 'first', status: 'paid', lines: [250_000], amountDue: 250_000 },
      { seq: 2, kind: 'renewal', status: 'paid', lines: [6_173, 250_000], amountDue: 256_173 },
    ],
    creditBalance: 0,
  },
  {
    name: 'overage uses the plan in force at period end (upgrade after heavy use)',
    steps: [
      { at: '2026-04-01T00:00:00Z', create: 'starter' },
      { at: '2026-04-10T00:00:00Z', payloads: 30_000_000 },
      { at: '2026-04-16T00:00:00Z', changePlan: 'professional' },
      { at: '2026-05-01T00:00:00Z', pass: true },
    ],
    invoices: [
      { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000 },
      // 30M is within Professional's 100M: no overage line.
      { seq: 2, kind: 'renewal', status: 'paid', lines: [-12_500, 50_000, 100_000], amountDue: 137_500 },
    ],
    creditBalance: 0,
  },
  {
    name: 'a pass three periods late issues each missed invoice once, in order',
    steps: [
      { at: '2026-04-01T00:00:00Z', create: 'starter' },
      { at: '2026-07-15T00:00:00Z', pass: true },
      { at: '2026-07-15T00:00:00Z', pass: true },
    ],
    invoices: [
      { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000 },
      { seq: 2, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000 },
      { seq: 3, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000 },
      { seq: 4, kind: 'renewal', status: 'paid', lines: [25_000], amountDue: 25_000 },
    ],
    creditBalance: 0,
  },
  {
    // A true half cent: 1,296 of the 2,592,000 seconds of a 30-day period remain (21.6 minutes),
    // 25000 × 1296 / 2592000 = 12.5 → 13 (half away from zero, as a credit −13);
    // 100000 × 1296 / 2592000 = 50 exactly.
    name: 'proration of exactly half a cent rounds half up: −12.5¢ → −13¢',
    steps: [
      { at: '2026-04-01T00:00:00Z', create: 'starter' },
      { at: '2026-04-30T23:38:24Z', changePlan: 'professional' },
      { at: '2026-05-01T00:00:00Z', pass: true },
    ],
    invoices: [
      { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000 },
      { seq: 2, kind: 'renewal', status: 'paid', lines: [-13, 50, 100_000], amountDue: 100_037 },
    ],
    creditBalance: 0,
  },
  {
    // 25,001,500 payloads: 1,500 over at 1000¢ per million = 1.5¢ → 2¢.
    name: 'overage of exactly half a cent rounds half up: 1,500 over at $10 per million is 2¢',
    steps: [
      { at: '2026-04-01T00:00:00Z', create: 'starter' },
      { at: '2026-04-20T00:00:00Z', payloads: 25_001_500 },
      { at: '2026-05-01T00:00:00Z', pass: true },
    ],
    invoices: [
      { seq: 1, kind: 'first', status: 'paid', lines: [25_000], amountDue: 25_000 },
      { seq: 2, kind: 'renewal', status: 'paid', lines: [2, 25_000], amountDue: 25_002 },
    ],
    creditBalance: 0,
  },
  {
    // 500,001,000 payloads: 1,000 over at 500¢ per million = 0.5¢ → 1¢.
    name: 'overage of half a cent and nothing more still bills 1¢ (Business, 1,000 over at $5 per million)',
    steps: [
      { at: '2026-04-01T00:00:00Z', create: 'business' },
      { at: '2026-04-20T00:00:00Z', payloads: 500_001_000 },
      { at: '2026-05-01T00:00:00Z', pass: true },
    ],
    invoices: [
      { seq: 1, kind: 'first', status: 'paid', lines: [250_000], amountDue: 250_000 },
      { seq: 2, kind: 'renewal', status: 'paid', lines: [1, 250_000], amountDue: 250_001 },
    ],
    creditBalance: 0,
  },
];
