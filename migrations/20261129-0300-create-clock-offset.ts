import type { Knex } from 'knex';

// R11.3: the demo clock's forward offset, one row, in the database so every
// instance agrees on the application time (production ignores it).
//
// §11: admin_events, the back-office's own log for what belongs to no
// organization (platform-admin promotions, clock shifts, scheduler passes,
// inquiry status). Actions on an organization go to its audit_events.
// Both tables serve the back-office, so they share this one migration.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('clock_offset', (t) => {
    t.integer('id').primary();
    t.bigInteger('offset_ms').notNullable().defaultTo(0);
    t.bigInteger('updated_at').notNullable();
  });
  // The one row, at no offset; updated_at is the real time of the last shift.
  await knex('clock_offset').insert({ id: 1, offset_ms: 0, updated_at: 0 });

  await knex.schema.createTable('admin_events', (t) => {
    t.bigIncrements('id').primary();
    t.integer('actor_user_id').nullable();
    t.string('actor_label', 400).notNullable();
    t.string('action', 64).notNullable();
    t.string('target_type', 32).notNullable();
    t.string('target_id', 64).nullable();
    t.string('target_label', 400).notNullable();
    t.text('before_json').nullable();
    t.text('after_json').nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['action', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('admin_events');
  await knex.schema.dropTable('clock_offset');
}
