import type { Knex } from 'knex';

// R9.12, R10.1: a mail SMTP could not take is tried again later rather than
// given up at once. `attempts` counts the sends tried; `next_attempt_at` is
// when the delivery job may take the mail (again): the backoff after a failed
// send, or, while a send is in flight ('pending'), when it counts as lost (the
// process died mid-send) and may be sent again.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mail_outbox', (t) => {
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mail_outbox', (t) => {
    t.dropColumn('next_attempt_at');
    t.dropColumn('attempts');
  });
}
