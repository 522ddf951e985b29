import type { Knex } from 'knex';

// R4.5: an append-only log per organization. Names are copied at write time
// so an entry reads the same after the user or resource is renamed or gone.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary();
    t.integer('organization_id').notNullable().references('organizations.id');
    t.integer('actor_user_id').nullable();
    t.string('actor_label', 400).notNullable();
    t.string('action', 64).notNullable();
    t.string('target_type', 32).notNullable();
    t.string('target_id', 64).nullable();
    t.string('target_label', 400).notNullable();
    t.text('before_json').nullable();
    t.text('after_json').nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['organization_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_events');
}
