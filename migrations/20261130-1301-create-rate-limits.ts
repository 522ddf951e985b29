import type { Knex } from 'knex';

// R13.3: the buckets of the rate limiter (src/modules/rate-limits), shared by
// every instance on this database. One row per bucket in use: `tat` is its
// theoretical arrival time in epoch ms, `admitted` the outcome of its last
// hit. Rows whose tat has passed mean the same as no row; a scheduler job
// removes them.
export async function up(knex: Knex): Promise<void> {
  if (knex.client.config.client === 'pg') {
    await knex.schema.createTable('rate_limits', (t) => {
      t.string('bucket_key', 200).primary();
      t.bigInteger('tat').notNullable();
      t.integer('admitted').notNullable();
    });
    return;
  }
  // SQLite: the rows live in the key's own B-tree (no separate rowid table),
  // so a hit — on every device report — touches one tree, not two.
  await knex.raw(`CREATE TABLE rate_limits (
    bucket_key VARCHAR(200) NOT NULL PRIMARY KEY,
    tat BIGINT NOT NULL,
    admitted INTEGER NOT NULL
  ) WITHOUT ROWID`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_limits');
}
