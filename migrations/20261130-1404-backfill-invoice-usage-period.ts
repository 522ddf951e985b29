import type { Knex } from 'knex';

// Backfill for 20261130-1403: invoices issued before it name their usage
// period too. A renewal invoice billed the period that ended when its own
// began: the subscription period of the organization's invoice that ends
// there. A final invoice billed its own period (from the last period start to
// the deletion). Irreversible in kind, and harmless: `down` leaves the values.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    UPDATE invoices SET
      usage_period_end = period_start,
      usage_period_start = (
        SELECT MAX(p.period_start) FROM invoices p
        WHERE p.organization_id = invoices.organization_id AND p.period_end = invoices.period_start AND p.id <> invoices.id
      )
    WHERE kind = 'renewal' AND usage_period_start IS NULL`);
  // A renewal whose previous invoice is not found keeps no usage period.
  await knex.raw(`UPDATE invoices SET usage_period_end = NULL WHERE kind = 'renewal' AND usage_period_start IS NULL`);
  await knex.raw(`UPDATE invoices SET usage_period_start = period_start, usage_period_end = period_end WHERE kind = 'final' AND usage_period_start IS NULL`);
}

export async function down(): Promise<void> {
  // Nothing to undo: 20261130-1403's down drops the columns.
}
