import { insertRows } from '../../../db/sql.ts';
import type { Sql } from '../../../db/sql.ts';

/**
 * The lines of issued invoices (`invoice_lines`, R9.4) and the proration
 * lines waiting for the next invoice (`pending_invoice_lines`, R9.5).
 */

/**
 * `credit_balance` only on invoices issued before the net credit of an
 * invoice was shown below its total: such a line is the movement to the
 * credit balance, not a charge, and is presented that way (R9.5).
 */
export type LineKind = 'subscription' | 'overage' | 'proration_credit' | 'proration_charge' | 'credit_balance';

/** A line as an invoice is issued with it. */
export interface InvoiceLineInput {
  kind: LineKind;
  description: string;
  quantity: number;
  unitPriceCents: number;
  amountCents: number;
  periodStart?: Date;
  periodEnd?: Date;
}

/** A line of an issued invoice, as printed (R9.4). */
export interface InvoiceLine {
  position: number;
  kind: LineKind;
  description: string;
  quantity: number;
  unitPriceCents: number;
  amountCents: number;
}

/** R9.4: an issued invoice's lines, numbered in the order given (nothing for none). */
export async function insertInvoiceLines(db: Sql, invoiceId: number, lines: readonly InvoiceLineInput[]): Promise<void> {
  await insertRows(
    db,
    'invoice_lines',
    lines.map((l, i) => ({
      invoice_id: invoiceId,
      position: i + 1,
      kind: l.kind,
      description: l.description,
      quantity: l.quantity,
      unit_price_cents: l.unitPriceCents,
      amount_cents: l.amountCents,
      period_start: l.periodStart?.getTime() ?? null,
      period_end: l.periodEnd?.getTime() ?? null,
    })),
  );
}

/** R9.4: an invoice's lines in their printed order. */
export async function invoiceLines(db: Sql, invoiceId: number): Promise<InvoiceLine[]> {
  const rows = await db.rows<Record<string, number | string>>('SELECT * FROM invoice_lines WHERE invoice_id = ? ORDER BY position', [invoiceId]);
  return rows.map((r) => ({
    position: Number(r.position),
    kind: r.kind as LineKind,
    description: String(r.description),
    quantity: Number(r.quantity),
    unitPriceCents: Number(r.unit_price_cents),
    amountCents: Number(r.amount_cents),
  }));
}

/** R9.5: the two proration lines of a plan change, waiting for the next invoice from `at`. */
export async function insertPendingLines(
  db: Sql,
  organizationId: number,
  lines: readonly { kind: LineKind; description: string; quantity: number; unitPriceCents: number; amountCents: number; periodStart: Date; periodEnd: Date }[],
  at: Date,
): Promise<void> {
  await insertRows(
    db,
    'pending_invoice_lines',
    lines.map((l) => ({
      organization_id: organizationId,
      kind: l.kind,
      description: l.description,
      quantity: l.quantity,
      unit_price_cents: l.unitPriceCents,
      amount_cents: l.amountCents,
      period_start: l.periodStart.getTime(),
      period_end: l.periodEnd.getTime(),
      created_at: at.getTime(),
    })),
  );
}

/** Proration lines waiting for the next invoice (R9.5), oldest first. */
export async function pendingInvoiceLines(db: Sql, organizationId: number): Promise<{ description: string; amountCents: number; createdAt: Date }[]> {
  const rows = await db.rows<{ description: string; amount_cents: number; created_at: number | string }>(
    'SELECT description, amount_cents, created_at FROM pending_invoice_lines WHERE organization_id = ? AND invoice_id IS NULL ORDER BY id',
    [organizationId],
  );
  return rows.map((r) => ({ description: r.description, amountCents: Number(r.amount_cents), createdAt: new Date(Number(r.created_at)) }));
}

/**
 * R9.3, R9.5: the proration lines an invoice issued now takes, oldest first,
 * with their ids (to mark them invoiced): those waiting for an invoice,
 * accrued before `before` when given (a renewal takes the lines of the
 * period it closes).
 */
export async function pendingLinesToInvoice(db: Sql, organizationId: number, before?: Date): Promise<{ lines: InvoiceLineInput[]; ids: number[] }> {
  const rows = await db.rows<{
    id: number;
    kind: LineKind;
    description: string;
    quantity: number;
    unit_price_cents: number;
    amount_cents: number;
    period_start: number | null;
    period_end: number | null;
  }>(
    `SELECT * FROM pending_invoice_lines WHERE organization_id = ? AND invoice_id IS NULL${before ? ' AND created_at < ?' : ''} ORDER BY id`,
    before ? [organizationId, before.getTime()] : [organizationId],
  );
  const lines = rows.map((p) => ({
    kind: p.kind,
    description: p.description,
    quantity: Number(p.quantity),
    unitPriceCents: Number(p.unit_price_cents),
    amountCents: Number(p.amount_cents),
    ...(p.period_start != null ? { periodStart: new Date(Number(p.period_start)) } : {}),
    ...(p.period_end != null ? { periodEnd: new Date(Number(p.period_end)) } : {}),
  }));
  return { lines, ids: rows.map((p) => Number(p.id)) };
}

/** R9.5: pending lines carried by an invoice just issued (nothing for none). */
export async function markPendingLinesInvoiced(db: Sql, invoiceId: number, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.run(`UPDATE pending_invoice_lines SET invoice_id = ? WHERE id IN (${ids.map(() => '?').join(', ')})`, [invoiceId, ...ids]);
}

/** R9.8: the pending lines a voided invoice carried wait for the next invoice again. */
export async function releasePendingLinesOf(db: Sql, invoiceId: number): Promise<void> {
  await db.run('UPDATE pending_invoice_lines SET invoice_id = NULL WHERE invoice_id = ?', [invoiceId]);
}
