import type { Knex } from 'knex';

// R9.7: how many of the day-7/14/21/28 retries and their reminders were done
// since the organization became Past Due, so a pass run twice does nothing new.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('billing_accounts', (t) => {
    t.integer('retry_rounds_done').notNullable().defaultTo(0);
    t.integer('reminders_sent').notNullable().defaultTo(0);
  });
  await knex.schema.createTable('webhook_events', (t) => {
    t.string('event_id', 255).primary();
    t.string('type', 100).notNullable();
    t.bigInteger('received_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_events');
  await knex.schema.alterTable('billing_accounts', (t) => {
    t.dropColumn('reminders_sent');
    t.dropColumn('retry_rounds_done');
  });
}
