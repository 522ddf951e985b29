import type { Sql } from '../../../db/sql.ts';
import { toInvoice, type Invoice } from '../invoices.ts';

/**
 * Reads for the Invoices tab (R9.4, R9.11). Every lookup is scoped by the
 * organization, so another organization's invoice id finds nothing.
 */

export async function findInvoiceOfOrganization(db: Sql, organizationId: number, invoiceId: number): Promise<Invoice | undefined> {
  const row = await db.first<Parameters<typeof toInvoice>[0]>('SELECT * FROM invoices WHERE id = ? AND organization_id = ?', [invoiceId, organizationId]);
  return row ? toInvoice(row) : undefined;
}

export interface InvoiceApplicationUsage {
  applicationId: number;
  /** The application's name when the invoice was issued (R9.4). */
  applicationName: string;
  payloads: number;
  periodStart: Date;
  periodEnd: Date;
}

/** Payloads per application of the usage period an invoice billed, most first. */
export async function invoiceUsageOf(db: Sql, invoiceId: number): Promise<InvoiceApplicationUsage[]> {
  const rows = await db.rows<Record<string, unknown>>(
    `SELECT application_id, application_name, payloads, usage_period_start, usage_period_end FROM invoice_usage
     WHERE invoice_id = ? ORDER BY payloads DESC, application_name ASC, id ASC`,
    [invoiceId],
  );
  return rows.map((r) => ({
    applicationId: Number(r.application_id),
    applicationName: String(r.application_name),
    payloads: Number(r.payloads),
    periodStart: new Date(Number(r.usage_period_start)),
    periodEnd: new Date(Number(r.usage_period_end)),
  }));
}

/**
 * The credit balance right after an invoice moved credit (applied it, or
 * added a net credit), from the ledger; null when the invoice moved none.
 */
export async function creditBalanceAfterInvoice(db: Sql, organizationId: number, invoiceId: number): Promise<number | null> {
  const last = await db.first<{ id: number | null }>('SELECT MAX(id) AS id FROM credit_ledger WHERE organization_id = ? AND invoice_id = ?', [organizationId, invoiceId]);
  if (last?.id == null) return null;
  const sum = await db.first<{ n: number | null }>('SELECT SUM(amount_cents) AS n FROM credit_ledger WHERE organization_id = ? AND id <= ?', [organizationId, Number(last.id)]);
  return Number(sum?.n ?? 0);
}
