import type { Knex } from 'knex';

// R10.1: every email is recorded here, whether it went out through SMTP or was
// only kept for platform admins to read in the back-office. Free text (subject,
// bodies, SMTP errors) is TEXT so a long value never fails on PostgreSQL when
// SQLite would have accepted it. organization_id has no foreign key: the
// organizations table arrives in a later migration, and a mail record should
// outlive whatever it was about.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mail_outbox', (t) => {
    t.increments('id').primary();
    t.string('to_address', 320).notNullable();
    t.text('subject').notNullable();
    t.text('text_body').notNullable();
    t.text('html_body').nullable();
    t.string('kind', 64).notNullable();
    t.integer('organization_id').nullable();
    t.string('transport', 16).notNullable(); // 'outbox' | 'smtp'
    t.string('status', 16).notNullable(); // 'kept' | 'pending' | 'sent' | 'failed'
    t.text('error').nullable();
    t.text('message_id').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('sent_at').nullable();
    t.index(['created_at']);
    t.index(['to_address']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mail_outbox');
}
