import type { Knex } from 'knex';

// Issue 18: the overview and the full lists read an owner's applications and
// dashboards a page at a time, by name. With the name in the owner index the
// database reads the page's rows in order and stops, instead of sorting every
// row of the owner for each page. The new index serves every lookup by owner
// the old one did, so the old one goes.
export async function up(knex: Knex): Promise<void> {
  for (const table of ['applications', 'dashboards']) {
    await knex.schema.alterTable(table, (t) => {
      t.index(['owner_type', 'owner_id', 'name', 'id'], `${table}_owner_name_index`);
    });
    await knex.schema.alterTable(table, (t) => {
      t.dropIndex(['owner_type', 'owner_id']);
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['applications', 'dashboards']) {
    await knex.schema.alterTable(table, (t) => {
      t.index(['owner_type', 'owner_id']);
    });
    await knex.schema.alterTable(table, (t) => {
      t.dropIndex([], `${table}_owner_name_index`);
    });
  }
}
