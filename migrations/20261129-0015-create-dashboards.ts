import type { Knex } from 'knex';

// R5.2: dashboards with blocks; visibility private | public | password.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dashboards', (t) => {
    t.increments('id').primary();
    t.string('owner_type', 16).notNullable();
    t.integer('owner_id').notNullable();
    t.string('name', 255).notNullable();
    t.text('description').notNullable().defaultTo('');
    t.string('visibility', 16).notNullable().defaultTo('private');
    t.string('password_hash', 255).nullable();
    t.string('share_token', 64).notNullable().unique();
    t.integer('created_by_user_id').nullable().references('users.id').onDelete('SET NULL');
    t.bigInteger('created_at').notNullable();
    t.index(['owner_type', 'owner_id']);
  });
  await knex.schema.createTable('dashboard_blocks', (t) => {
    t.increments('id').primary();
    t.integer('dashboard_id').notNullable().references('dashboards.id').onDelete('CASCADE');
    t.integer('position').notNullable();
    t.string('kind', 32).notNullable(); // device_state | payloads_over_time
    t.string('title', 255).notNullable();
    t.integer('application_id').nullable();
    t.integer('device_id').nullable();
    t.index(['dashboard_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('dashboard_blocks');
  await knex.schema.dropTable('dashboards');
}
