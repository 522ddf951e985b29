import type { Knex } from 'knex';

// R2.2: a member's role on one application or dashboard, replacing their
// organization role for that resource only.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('resource_roles', (t) => {
    t.increments('id').primary();
    t.integer('organization_id').notNullable().references('organizations.id');
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('resource_type', 16).notNullable(); // application | dashboard
    t.integer('resource_id').notNullable();
    t.string('role', 16).notNullable(); // none | viewer | collaborator
    t.unique(['user_id', 'resource_type', 'resource_id']);
    t.index(['organization_id', 'user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('resource_roles');
}
