import type { Knex } from 'knex';

// R7.1: a plan is data: price in integer cents, limits, overage price per
// million payloads (null = hard cap), support level. A custom (Enterprise)
// plan names the one organization it belongs to (organization_id, added
// with the organizations table).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('plans', (t) => {
    t.increments('id').primary();
    t.string('code', 64).notNullable().unique();
    t.string('name', 100).notNullable();
    t.string('kind', 16).notNullable(); // 'personal' (Sandbox) | 'tier' | 'custom'
    t.integer('price_cents').notNullable();
    t.integer('max_devices').notNullable();
    t.integer('max_applications').notNullable();
    t.integer('max_dashboards').notNullable();
    t.integer('max_members').notNullable();
    t.bigInteger('max_payloads_per_month').notNullable();
    t.integer('retention_days').notNullable();
    t.integer('overage_cents_per_million').nullable();
    t.string('support_level', 100).notNullable();
    t.integer('sort_order').notNullable().defaultTo(0);
    t.bigInteger('created_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('plans');
}
