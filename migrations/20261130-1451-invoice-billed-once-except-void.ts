import type { Knex } from 'knex';

// R9.4, R9.8: each period is billed once — an invoice is unique per
// organization, kind and period start — but a void invoice bills nothing. A
// reactivation invoice voided because its charge failed must not stop a new
// one from starting at the same instant (a retry within the same millisecond,
// or a clock that stands still). Partial unique indexes work the same on
// SQLite and PostgreSQL.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invoices', (t) => {
    t.dropUnique(['organization_id', 'kind', 'period_start']);
  });
  await knex.raw(`CREATE UNIQUE INDEX invoices_billed_once ON invoices (organization_id, kind, period_start) WHERE status <> 'void'`);
}

// Fails if two invoices (one of them void) share an organization, kind and
// period start: the older constraint cannot hold such data.
export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX invoices_billed_once');
  await knex.schema.alterTable('invoices', (t) => {
    t.unique(['organization_id', 'kind', 'period_start']);
  });
}
