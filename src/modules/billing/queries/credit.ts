import { insertRows } from '../../../db/sql.ts';
import type { Sql } from '../../../db/sql.ts';

/**
 * The credit ledger (R9.3, R11.2): every movement of an organization's credit
 * balance, written in the transaction that moves the balance itself.
 */

/**
 * One movement of the credit balance: positive adds to it (a grant, a net
 * credit, credit returned by a voided invoice), negative takes from it
 * (applied to an invoice, refunded to the card).
 */
export async function addCreditLedgerEntry(
  db: Sql,
  entry: { organizationId: number; amountCents: number; reason: string; invoiceId?: number | null; actorUserId?: number | null; at: Date },
): Promise<void> {
  await insertRows(db, 'credit_ledger', [
    {
      organization_id: entry.organizationId,
      amount_cents: entry.amountCents,
      reason: entry.reason,
      invoice_id: entry.invoiceId ?? null,
      actor_user_id: entry.actorUserId ?? null,
      created_at: entry.at.getTime(),
    },
  ]);
}

export interface CreditLedgerEntry {
  id: number;
  amountCents: number;
  reason: string;
  actorUserId: number | null;
  createdAt: Date;
}

/** Every movement of an organization's credit balance, newest first (the back-office, R11.2). */
export async function creditLedgerOf(db: Sql, organizationId: number, limit: number): Promise<CreditLedgerEntry[]> {
  const rows = await db.rows<{ id: number; amount_cents: number | string; reason: string; actor_user_id: number | null; created_at: number | string }>(
    'SELECT id, amount_cents, reason, actor_user_id, created_at FROM credit_ledger WHERE organization_id = ? ORDER BY id DESC LIMIT ?',
    [organizationId, limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    amountCents: Number(r.amount_cents),
    reason: String(r.reason),
    actorUserId: r.actor_user_id == null ? null : Number(r.actor_user_id),
    createdAt: new Date(Number(r.created_at)),
  }));
}
