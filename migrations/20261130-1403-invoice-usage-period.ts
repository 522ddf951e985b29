import type { Knex } from 'knex';

// R9.3, R9.4: a renewal invoice bills two periods: the subscription of the
// period it opens and the overage (and application usage) of the period that
// ended. The invoice's period is the first; this is the second, so both can be
// named on the invoice and its PDF. Null when the invoice bills no usage.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invoices', (t) => {
    t.bigInteger('usage_period_start').nullable();
    t.bigInteger('usage_period_end').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invoices', (t) => {
    t.dropColumn('usage_period_end');
    t.dropColumn('usage_period_start');
  });
}
