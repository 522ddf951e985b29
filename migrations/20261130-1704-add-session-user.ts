import type { Knex } from 'knex';

// R1.4: a user's active sessions are listed on /account and can be signed out
// together (other sessions at a password change, all at a password reset), so
// each session row names its user.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => {
    t.integer('user_id').nullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => {
    t.dropIndex(['user_id']);
    t.dropColumn('user_id');
  });
}
