import type { Knex } from 'knex';

// §9: an organization's subscription and card, its invoices with their lines,
// and every payment attempt (recorded before the gateway is called, R9.13).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('billing_accounts', (t) => {
    t.integer('organization_id').primary().references('organizations.id');
    t.integer('plan_id').notNullable().references('plans.id');
    t.string('status', 16).notNullable().defaultTo('active'); // active | past_due | unpaid
    t.string('billing_email', 320).notNullable();
    t.string('customer_ref', 255).notNullable();
    t.string('payment_method_ref', 255).nullable();
    t.string('card_brand', 32).nullable();
    t.string('card_last4', 4).nullable();
    t.integer('card_exp_month').nullable();
    t.integer('card_exp_year').nullable();
    t.bigInteger('period_anchor').notNullable();
    t.bigInteger('current_period_start').notNullable();
    t.bigInteger('current_period_end').notNullable().index();
    t.bigInteger('credit_balance_cents').notNullable().defaultTo(0);
    t.integer('next_invoice_seq').notNullable().defaultTo(1);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('invoices', (t) => {
    t.increments('id').primary();
    t.integer('organization_id').notNullable().references('organizations.id');
    t.integer('seq').notNullable();
    t.string('number', 64).notNullable().unique();
    t.string('kind', 16).notNullable(); // first | renewal | final | reactivation
    t.string('status', 16).notNullable(); // open | paid | void | uncollectible
    t.bigInteger('issued_at').notNullable();
    t.bigInteger('period_start').notNullable();
    t.bigInteger('period_end').notNullable();
    t.bigInteger('subtotal_cents').notNullable();
    t.bigInteger('credit_applied_cents').notNullable().defaultTo(0);
    t.bigInteger('amount_due_cents').notNullable();
    t.bigInteger('amount_paid_cents').notNullable().defaultTo(0);
    t.bigInteger('paid_at').nullable();
    t.unique(['organization_id', 'seq']);
    t.index(['organization_id', 'status']);
  });

  await knex.schema.createTable('invoice_lines', (t) => {
    t.increments('id').primary();
    t.integer('invoice_id').notNullable().references('invoices.id').onDelete('CASCADE');
    t.integer('position').notNullable();
    t.string('kind', 24).notNullable(); // subscription | overage | proration_credit | proration_charge
    t.string('description', 500).notNullable();
    t.bigInteger('quantity').notNullable();
    t.bigInteger('unit_price_cents').notNullable();
    t.bigInteger('amount_cents').notNullable();
    t.bigInteger('period_start').nullable();
    t.bigInteger('period_end').nullable();
    t.index(['invoice_id']);
  });

  await knex.schema.createTable('payment_attempts', (t) => {
    t.increments('id').primary();
    t.integer('organization_id').notNullable().references('organizations.id');
    t.integer('invoice_id').notNullable().references('invoices.id');
    t.string('idempotency_key', 200).notNullable().unique();
    t.bigInteger('amount_cents').notNullable();
    t.string('status', 16).notNullable(); // pending | succeeded | failed
    t.string('card_brand', 32).nullable();
    t.string('card_last4', 4).nullable();
    t.string('failure_code', 64).nullable();
    t.string('failure_message', 500).nullable();
    t.string('charge_ref', 255).nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('completed_at').nullable();
    t.index(['invoice_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('payment_attempts');
  await knex.schema.dropTable('invoice_lines');
  await knex.schema.dropTable('invoices');
  await knex.schema.dropTable('billing_accounts');
}
