import type { Knex } from 'knex';

// R1.1: accounts. Email is stored lower-cased so uniqueness is case-insensitive.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.increments('id').primary();
    t.string('email', 320).notNullable().unique();
    t.string('name', 100).notNullable();
    t.string('password_hash', 255).notNullable();
    t.boolean('is_platform_admin').notNullable().defaultTo(false);
    t.bigInteger('created_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users');
}
