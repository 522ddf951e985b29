import type { Knex } from 'knex';

// R4.1–R4.3: invitations by email. Only the SHA-256 of the link's token is
// stored; the link itself exists only in the email.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('invitations', (t) => {
    t.increments('id').primary();
    t.integer('organization_id').notNullable().references('organizations.id');
    t.string('email', 320).notNullable();
    t.string('role', 16).notNullable();
    t.text('resource_roles_json').notNullable().defaultTo('[]');
    t.string('token_hash', 64).notNullable().unique();
    t.integer('invited_by_user_id').nullable().references('users.id').onDelete('SET NULL');
    t.string('inviter_name', 100).notNullable();
    t.string('status', 16).notNullable(); // pending | accepted | declined | revoked | cancelled
    t.bigInteger('created_at').notNullable();
    t.bigInteger('sent_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('responded_at').nullable();
    t.integer('accepted_by_user_id').nullable().references('users.id').onDelete('SET NULL');
    t.index(['organization_id', 'status']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('invitations');
}
