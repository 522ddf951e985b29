import type { Knex } from 'knex';

// R9.4, R9.14: an issued invoice keeps the billing details it was issued to
// (name, email, address, tax ID as JSON), so a later change of the details
// does not rewrite it. Invoices issued before this have none; they show the
// current details.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invoices', (t) => {
    t.text('billed_to_json').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invoices', (t) => {
    t.dropColumn('billed_to_json');
  });
}
