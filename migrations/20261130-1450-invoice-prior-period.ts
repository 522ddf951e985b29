import type { Knex } from 'knex';

// R9.8: a reactivation invoice moves the account's current period to the one
// containing the reactivation. If its charge fails, the invoice is voided and
// the account goes back to the period it had before, which is kept here (on
// reactivation invoices only; null on every other kind).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invoices', (t) => {
    t.bigInteger('prior_period_start').nullable();
    t.bigInteger('prior_period_end').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invoices', (t) => {
    t.dropColumn('prior_period_end');
    t.dropColumn('prior_period_start');
  });
}
