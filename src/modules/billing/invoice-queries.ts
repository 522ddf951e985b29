import type { DbOrTrx } from '../../db/knex.ts';
import { toInvoice, type Invoice } from './invoices.ts';

/**
 * Reads for the Invoices tab (R9.4, R9.11). Every lookup is scoped by the
 * organization, so another organization's invoice id finds nothing.
 */

export async function findInvoiceOfOrganization(db: DbOrTrx, organizationId: number, invoiceId: number): Promise<Invoice | undefined> {
  const row = await db('invoices').where({ id: invoiceId, organization_id: organizationId }).first();
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
export async function invoiceUsageOf(db: DbOrTrx, invoiceId: number): Promise<InvoiceApplicationUsage[]> {
  const rows = await db('invoice_usage')
    .where({ invoice_id: invoiceId })
    .orderBy([
      { column: 'payloads', order: 'desc' },
      { column: 'application_name', order: 'asc' },
      { column: 'id', order: 'asc' },
    ])
    .select('application_id', 'application_name', 'payloads', 'usage_period_start', 'usage_period_end');
  return rows.map((r: Record<string, unknown>) => ({
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
export async function creditBalanceAfterInvoice(db: DbOrTrx, organizationId: number, invoiceId: number): Promise<number | null> {
  const last = await db('credit_ledger').where({ organization_id: organizationId, invoice_id: invoiceId }).max({ id: 'id' }).first();
  if (last?.id == null) return null;
  const sum = await db('credit_ledger').where({ organization_id: organizationId }).andWhere('id', '<=', Number(last.id)).sum({ n: 'amount_cents' }).first();
  return Number(sum?.n ?? 0);
}
