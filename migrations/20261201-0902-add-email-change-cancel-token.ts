import type { Knex } from 'knex';

// R1.4: the notice mailed to the current address when a new one is asked for
// carries a link that cancels the change. Only the SHA-256 of its token is
// stored. Changes asked for before this column have none (null).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('email_changes', (t) => {
    t.string('cancel_token_hash', 64).nullable().unique();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('email_changes', (t) => {
    t.dropUnique(['cancel_token_hash']);
    t.dropColumn('cancel_token_hash');
  });
}
