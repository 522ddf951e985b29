import type { Sql } from '../../db/sql.ts';
import { chargeInvoice, type ChargeContext, type ChargeDeps, type ChargeOutcome } from './charge.ts';

/**
 * Charges every open invoice oldest first and stops at the first failure
 * (R9.7); each outcome has its consequences (receipt, Past Due, Active again,
 * emails) in the transaction that records it (R9.12).
 */
export async function chargeOpenInvoices(deps: ChargeDeps, organizationId: number, ctx: ChargeContext): Promise<ChargeOutcome[]> {
  const open = await deps.db.rows<{ id: number }>("SELECT id FROM invoices WHERE organization_id = ? AND status = 'open' ORDER BY seq", [organizationId]);
  const outcomes: ChargeOutcome[] = [];
  for (const { id } of open) {
    const outcome = await chargeInvoice(deps, id, ctx);
    outcomes.push(outcome);
    if (outcome.status === 'failed' || outcome.status === 'unknown') break;
  }
  return outcomes;
}
