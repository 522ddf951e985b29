import type { Knex } from 'knex';

// R13.3: the buckets of the rate limiter (src/modules/rate-limits), shared by
// every instance on this database. One row per bucket in use: `tat` is its
// theoretical arrival time in epoch ms, `admitted` the outcome of its last
// hit. Rows whose tat has passed mean the same as no row; a scheduler job
// removes them.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rate_limits', (t) => {
    t.string('bucket_key', 200).primary();
    t.bigInteger('tat').notNullable();
    t.integer('admitted').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_limits');
}
