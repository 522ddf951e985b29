import type { Knex } from 'knex';

// R1.5: each user's IANA time zone ("Europe/Paris"); every date a signed-in
// user reads is shown in it. Existing accounts, and sign-ups without
// JavaScript, read in UTC until they choose a zone on /account.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.string('time_zone', 64).notNullable().defaultTo('UTC');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('time_zone');
  });
}
