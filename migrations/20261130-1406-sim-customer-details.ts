import type { Knex } from 'knex';

// R9.14: the simulated gateway keeps the billing details last sent to a
// customer (address and tax ID, as JSON), as Stripe keeps them on the Customer.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sim_customers', (t) => {
    t.text('details_json').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sim_customers', (t) => {
    t.dropColumn('details_json');
  });
}
