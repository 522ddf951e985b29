import type { Knex } from 'knex';

// R8.1, R8.2: stored device payloads, and the counters usage is read from so
// the usage page never scans payloads. Counters are per owner × application ×
// billing period (period_start), and per owner × application × UTC day.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('payloads', (t) => {
    t.bigIncrements('id').primary();
    t.integer('application_id').notNullable().references('applications.id').onDelete('CASCADE');
    t.integer('device_id').notNullable().references('devices.id').onDelete('CASCADE');
    t.bigInteger('time').notNullable();
    t.bigInteger('received_at').notNullable();
    t.text('data').notNullable();
    t.index(['application_id', 'time']);
    t.index(['device_id']);
  });
  await knex.schema.createTable('usage_counters', (t) => {
    t.string('owner_type', 16).notNullable();
    t.integer('owner_id').notNullable();
    t.integer('application_id').notNullable();
    t.bigInteger('period_start').notNullable();
    t.string('application_name', 255).notNullable();
    t.bigInteger('payloads').notNullable().defaultTo(0);
    t.bigInteger('rejected').notNullable().defaultTo(0);
    t.primary(['owner_type', 'owner_id', 'period_start', 'application_id']);
  });
  await knex.schema.createTable('usage_daily', (t) => {
    t.string('owner_type', 16).notNullable();
    t.integer('owner_id').notNullable();
    t.integer('application_id').notNullable();
    t.bigInteger('day').notNullable();
    t.bigInteger('payloads').notNullable().defaultTo(0);
    t.primary(['owner_type', 'owner_id', 'day', 'application_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('usage_daily');
  await knex.schema.dropTable('usage_counters');
  await knex.schema.dropTable('payloads');
}
