import type { Knex } from 'knex';

// R9.14: the billing details an Administrator keeps up to date besides the
// billing email: a name to bill (the organization's name when empty), a
// postal address (country as an ISO 3166-1 alpha-2 code, as Stripe takes it)
// and a tax ID. All optional.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('billing_accounts', (t) => {
    t.string('billing_name', 200).nullable();
    t.string('address_line1', 200).nullable();
    t.string('address_line2', 200).nullable();
    t.string('address_city', 100).nullable();
    t.string('address_region', 100).nullable();
    t.string('address_postal_code', 20).nullable();
    t.string('address_country', 2).nullable();
    t.string('tax_id', 50).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('billing_accounts', (t) => {
    for (const c of ['billing_name', 'address_line1', 'address_line2', 'address_city', 'address_region', 'address_postal_code', 'address_country', 'tax_id']) t.dropColumn(c);
  });
}
