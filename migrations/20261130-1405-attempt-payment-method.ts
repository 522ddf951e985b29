import type { Knex } from 'knex';

// R9.13: a payment attempt keeps the card it charges (the gateway's payment
// method reference), so an attempt a crash left pending is settled with that
// card, not with whatever card is on file by then; and what started it
// (renewal, retry, pay_now, admin_retry, reactivation, final), so a late
// outcome has the consequences it would have had at once (R9.12).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('payment_attempts', (t) => {
    t.string('payment_method_ref', 255).nullable();
    t.string('trigger', 16).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('payment_attempts', (t) => {
    t.dropColumn('trigger');
    t.dropColumn('payment_method_ref');
  });
}
