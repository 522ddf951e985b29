import type { Knex } from 'knex';

// R1.4, R13.4: when the account's credentials last changed (a new password,
// a reset, "Sign out other sessions"), in epoch ms, strictly increasing per
// user. A session remembers the value it signed in under and is refused once
// it differs, even a session whose row a request still in flight writes back.
// Null: never changed since this column exists.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.bigInteger('credentials_changed_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('credentials_changed_at');
  });
}
