import type { Knex } from 'knex';

// R9.6: the built-in simulated payment gateway keeps its own ledger, apart
// from our billing tables, so it behaves like an outside party: a charge it
// recorded survives a restart and tests can compare our books against it.
// Only brand, last four digits and expiry are kept; never the number or CVC.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sim_customers', (t) => {
    t.string('ref', 64).primary();
    t.string('email', 320).notNullable();
    t.string('name', 200).notNullable();
    t.string('idempotency_key', 255).notNullable().unique();
    t.bigInteger('created_at').notNullable();
  });

  await knex.schema.createTable('sim_payment_methods', (t) => {
    t.string('ref', 64).primary();
    t.string('customer_ref', 64).notNullable().references('ref').inTable('sim_customers');
    // How the test card behaves when charged ('normal' | 'decline_on_charge'),
    // decided at save time so the number itself need not be kept.
    t.string('behaviour', 32).notNullable();
    t.string('brand', 32).notNullable();
    t.string('last4', 4).notNullable();
    t.integer('exp_month').notNullable();
    t.integer('exp_year').notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['customer_ref']);
  });

  await knex.schema.createTable('sim_charges', (t) => {
    t.string('ref', 64).primary();
    // The UNIQUE index is what makes charge() idempotent under concurrency.
    t.string('idempotency_key', 255).notNullable().unique();
    t.string('customer_ref', 64).notNullable().references('ref').inTable('sim_customers');
    t.string('payment_method_ref', 64).notNullable().references('ref').inTable('sim_payment_methods');
    t.bigInteger('amount_cents').notNullable();
    t.string('description', 500).nullable();
    t.string('status', 16).notNullable(); // 'succeeded' | 'failed'
    t.string('failure_code', 64).nullable();
    t.string('failure_message', 500).nullable();
    t.string('decline_code', 64).nullable();
    t.bigInteger('refunded_cents').notNullable().defaultTo(0);
    t.bigInteger('created_at').notNullable();
    t.index(['customer_ref']);
  });

  await knex.schema.createTable('sim_refunds', (t) => {
    t.string('ref', 64).primary();
    t.string('charge_ref', 64).notNullable().references('ref').inTable('sim_charges');
    t.string('idempotency_key', 255).notNullable().unique();
    t.bigInteger('amount_cents').notNullable();
    t.string('reason', 500).nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['charge_ref']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sim_refunds');
  await knex.schema.dropTable('sim_charges');
  await knex.schema.dropTable('sim_payment_methods');
  await knex.schema.dropTable('sim_customers');
}
