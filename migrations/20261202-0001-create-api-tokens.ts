import type { Knex } from 'knex';

// R16.2: tokens for the REST API. `login` tokens come from POST
// /api/auth/user; `personal` tokens are made by their owner with a name,
// scopes and an optional expiry. Only the SHA-256 of a token is stored; a
// token is good while its user's credentials mark is the one it was made
// under (a new password or a reset ends every token, as it ends sessions).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_tokens', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('kind', 16).notNullable();
    t.string('name', 255).notNullable();
    t.text('description').notNullable().defaultTo('');
    // JSON array of scope names.
    t.text('scopes').notNullable();
    t.string('token_hash', 64).notNullable().unique();
    t.bigInteger('credentials_mark').nullable();
    t.string('status', 16).notNullable().defaultTo('active');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.bigInteger('expires_at').nullable();
    t.bigInteger('last_used_at').nullable();
    t.index(['user_id', 'kind']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('api_tokens');
}
