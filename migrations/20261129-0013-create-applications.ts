import type { Knex } from 'knex';

// R5.1: applications with devices, workflows and access keys. An owner is a
// user's Sandbox (owner_type 'user') or an organization.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('applications', (t) => {
    t.increments('id').primary();
    t.string('owner_type', 16).notNullable(); // user | organization
    t.integer('owner_id').notNullable();
    t.string('name', 255).notNullable();
    t.text('description').notNullable().defaultTo('');
    t.integer('created_by_user_id').nullable().references('users.id').onDelete('SET NULL');
    t.bigInteger('created_at').notNullable();
    t.index(['owner_type', 'owner_id']);
  });
  await knex.schema.createTable('devices', (t) => {
    t.increments('id').primary();
    t.integer('application_id').notNullable().references('applications.id').onDelete('CASCADE');
    t.string('name', 255).notNullable();
    t.text('last_state_json').nullable();
    t.bigInteger('last_seen_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['application_id']);
  });
  await knex.schema.createTable('workflows', (t) => {
    t.increments('id').primary();
    t.integer('application_id').notNullable().references('applications.id').onDelete('CASCADE');
    t.string('name', 255).notNullable();
    t.text('description').notNullable().defaultTo('');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['application_id']);
  });
  await knex.schema.createTable('access_keys', (t) => {
    t.increments('id').primary();
    t.integer('application_id').notNullable().references('applications.id').onDelete('CASCADE');
    t.string('key_id', 32).notNullable().unique();
    t.string('secret_hash', 64).notNullable();
    t.string('name', 255).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('revoked_at').nullable();
    t.bigInteger('last_used_at').nullable();
    t.index(['application_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('access_keys');
  await knex.schema.dropTable('workflows');
  await knex.schema.dropTable('devices');
  await knex.schema.dropTable('applications');
}
