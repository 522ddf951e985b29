import type { Knex } from 'knex';

// R7.2: the default tiers, as data. Prices and overage are integer cents.
const tiers = [
  { code: 'sandbox', name: 'Sandbox', kind: 'personal', price_cents: 0, max_devices: 10, max_applications: 2, max_dashboards: 5, max_members: 1, max_payloads_per_month: 1_000_000, retention_days: 30, overage_cents_per_million: null, support_level: 'Community forum', sort_order: 0 },
  { code: 'starter', name: 'Starter', kind: 'tier', price_cents: 25_000, max_devices: 250, max_applications: 10, max_dashboards: 50, max_members: 10, max_payloads_per_month: 25_000_000, retention_days: 90, overage_cents_per_million: 1_000, support_level: 'Email, next business day', sort_order: 1 },
  { code: 'professional', name: 'Professional', kind: 'tier', price_cents: 100_000, max_devices: 1_000, max_applications: 50, max_dashboards: 200, max_members: 50, max_payloads_per_month: 100_000_000, retention_days: 365, overage_cents_per_million: 750, support_level: 'Priority email, 8 business hours', sort_order: 2 },
  { code: 'business', name: 'Business', kind: 'tier', price_cents: 250_000, max_devices: 5_000, max_applications: 200, max_dashboards: 1_000, max_members: 250, max_payloads_per_month: 500_000_000, retention_days: 730, overage_cents_per_million: 500, support_level: 'Priority email and phone, 4 hours', sort_order: 3 },
];

// Fixed so the seed is the same on every database: 2026-01-01T00:00:00Z.
const SEEDED_AT = Date.UTC(2026, 0, 1);

export async function up(knex: Knex): Promise<void> {
  await knex('plans').insert(tiers.map((t) => ({ ...t, created_at: SEEDED_AT })));
}

export async function down(knex: Knex): Promise<void> {
  await knex('plans').whereIn('code', tiers.map((t) => t.code)).delete();
}
