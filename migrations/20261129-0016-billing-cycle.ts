import type { Knex } from 'knex';

// §9: what the billing cycle needs beyond the first charge:
// - plan_changes: which plan was in force when (overage uses the plan in force
//   at period end, R9.3, even when a pass runs late);
// - pending_invoice_lines: proration lines accrued in a period, waiting for
//   the next invoice (R9.5);
// - credit_ledger: every movement of the credit balance (R9.3, R11.2);
// - invoices are unique per organization, kind and period: each period is
//   billed exactly once (R9.4, R12.2).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('plan_changes', (t) => {
    t.increments('id').primary();
    t.integer('organization_id').notNullable().references('organizations.id');
    t.integer('plan_id').notNullable().references('plans.id');
    t.bigInteger('effective_at').notNullable();
    t.integer('actor_user_id').nullable();
    t.index(['organization_id', 'effective_at']);
  });
  await knex.schema.createTable('pending_invoice_lines', (t) => {
    t.increments('id').primary();
    t.integer('organization_id').notNullable().references('organizations.id');
    t.string('kind', 24).notNullable();
    t.string('description', 500).notNullable();
    t.bigInteger('quantity').notNullable();
    t.bigInteger('unit_price_cents').notNullable();
    t.bigInteger('amount_cents').notNullable();
    t.bigInteger('period_start').nullable();
    t.bigInteger('period_end').nullable();
    t.bigInteger('created_at').notNullable();
    t.integer('invoice_id').nullable().references('invoices.id');
    t.index(['organization_id', 'invoice_id']);
  });
  await knex.schema.createTable('credit_ledger', (t) => {
    t.increments('id').primary();
    t.integer('organization_id').notNullable().references('organizations.id');
    t.bigInteger('amount_cents').notNullable(); // + grant/net credit, − applied/refunded
    t.string('reason', 500).notNullable();
    t.integer('invoice_id').nullable().references('invoices.id');
    t.integer('actor_user_id').nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['organization_id']);
  });
  // R9.7, R9.8: every status transition with its time and cause.
  await knex.schema.createTable('billing_status_history', (t) => {
    t.increments('id').primary();
    t.integer('organization_id').notNullable().references('organizations.id');
    t.string('from_status', 16).notNullable();
    t.string('to_status', 16).notNullable();
    t.string('cause', 500).notNullable();
    t.bigInteger('at').notNullable();
    t.index(['organization_id', 'at']);
  });
  await knex.schema.alterTable('billing_accounts', (t) => {
    // When the organization became Past Due: retries are days 7, 14, 21, 28 after it (R9.7).
    t.bigInteger('past_due_since').nullable();
  });
  // R9.4: payloads per application of the invoiced period, names as of issue.
  await knex.schema.createTable('invoice_usage', (t) => {
    t.increments('id').primary();
    t.integer('invoice_id').notNullable().references('invoices.id').onDelete('CASCADE');
    t.integer('application_id').notNullable();
    t.string('application_name', 255).notNullable();
    t.bigInteger('payloads').notNullable();
    t.bigInteger('usage_period_start').notNullable();
    t.bigInteger('usage_period_end').notNullable();
    t.index(['invoice_id']);
  });
  await knex.schema.alterTable('invoices', (t) => {
    t.unique(['organization_id', 'kind', 'period_start']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invoices', (t) => {
    t.dropUnique(['organization_id', 'kind', 'period_start']);
  });
  await knex.schema.alterTable('billing_accounts', (t) => {
    t.dropColumn('past_due_since');
  });
  await knex.schema.dropTable('billing_status_history');
  await knex.schema.dropTable('invoice_usage');
  await knex.schema.dropTable('credit_ledger');
  await knex.schema.dropTable('pending_invoice_lines');
  await knex.schema.dropTable('plan_changes');
}
