import type { Knex } from 'knex';

// R3.4, R3.6: the creation wizard's state, one per user, so it survives a
// reload and works without JavaScript. Card numbers are never stored: only
// the gateway's customer and payment-method references with brand, last four
// digits and expiry. charge_key is the idempotency key of the first charge,
// recorded before the gateway is called (R9.13).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('organization_wizards', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable().unique().references('users.id').onDelete('CASCADE');
    t.string('plan_code', 64).nullable();
    t.string('name', 255).notNullable().defaultTo('');
    t.text('description').notNullable().defaultTo('');
    t.string('icon_color', 7).nullable();
    t.string('billing_email', 320).nullable();
    t.string('customer_ref', 255).nullable();
    t.string('payment_method_ref', 255).nullable();
    t.string('card_brand', 32).nullable();
    t.string('card_last4', 4).nullable();
    t.integer('card_exp_month').nullable();
    t.integer('card_exp_year').nullable();
    t.string('state', 16).notNullable().defaultTo('editing'); // editing | charging | completed
    t.integer('attempt').notNullable().defaultTo(0);
    t.string('charge_key', 200).nullable();
    t.bigInteger('charging_since').nullable();
    t.string('last_error', 500).nullable();
    t.integer('completed_organization_id').nullable().references('organizations.id');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('enterprise_inquiries', (t) => {
    t.increments('id').primary();
    t.integer('user_id').nullable().references('users.id').onDelete('SET NULL');
    t.string('name', 100).notNullable();
    t.string('email', 320).notNullable();
    t.string('company', 255).notNullable();
    t.integer('expected_devices').nullable();
    t.text('message').notNullable();
    t.string('status', 16).notNullable().defaultTo('new'); // new | contacted | closed
    t.bigInteger('created_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('enterprise_inquiries');
  await knex.schema.dropTable('organization_wizards');
}
