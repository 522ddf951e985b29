import type { Knex } from 'knex';

// R9.12: billing emails are written to mail_outbox inside the transaction of
// the payment outcome that causes them ('queued' when SMTP delivers them after
// the commit); the delivery job looks them up by status.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mail_outbox', (t) => {
    t.index(['status', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mail_outbox', (t) => {
    t.dropIndex(['status', 'id']);
  });
}
