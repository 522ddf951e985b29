import type { Knex } from 'knex';

// §3: organizations. A deleted organization stays as a tombstone (deleted_at)
// so its open invoices remain collectible (R3.9).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('organizations', (t) => {
    t.increments('id').primary();
    t.string('slug', 32).notNullable().unique();
    t.string('name', 255).notNullable();
    t.text('description').notNullable().defaultTo('');
    t.string('icon_color', 7).notNullable();
    t.integer('created_by_user_id').notNullable().references('users.id');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('deleted_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('organizations');
}
