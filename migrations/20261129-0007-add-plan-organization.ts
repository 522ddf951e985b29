import type { Knex } from 'knex';

// R7.1: a custom (Enterprise) plan belongs to one organization.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('plans', (t) => {
    t.integer('organization_id').nullable().references('organizations.id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('plans', (t) => {
    t.dropColumn('organization_id');
  });
}
