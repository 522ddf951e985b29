import type { Knex } from 'knex';

// R3.9, R9.9, R9.13: a credit balance refunded to the card on deletion is
// recorded as a pending refund, with the idempotency key the gateway sees,
// before the gateway is called; its outcome (the ledger entry, the lower
// balance and the refund notice) is written afterwards in one transaction. A
// refund a crash left pending is settled by the scheduler with the same key,
// so a card is refunded once and the books always follow.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('credit_refunds', (t) => {
    t.increments('id').primary();
    t.integer('organization_id').notNullable().references('organizations.id');
    // The successful charge it refunds (part of).
    t.integer('payment_attempt_id').notNullable().references('payment_attempts.id');
    t.string('charge_ref', 255).notNullable();
    t.string('card_brand', 32).nullable();
    t.string('card_last4', 4).nullable();
    t.bigInteger('amount_cents').notNullable();
    t.string('idempotency_key', 200).notNullable().unique();
    t.string('status', 16).notNullable(); // pending | succeeded | failed
    t.string('refund_ref', 255).nullable();
    t.string('failure_message', 500).nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('completed_at').nullable();
    t.index(['organization_id']);
    t.index(['status', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('credit_refunds');
}
