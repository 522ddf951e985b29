import { chargeInvoice, type ChargeContext, type ChargeDeps, type ChargeOutcome } from './charge.ts';
import { openInvoicesOf } from './queries/invoices.ts';

/**
 * Charges every open invoice oldest first and stops at the first failure
 * (R9.7); each outcome has its consequences (receipt, Past Due, Active again,
 * emails) in the transaction that records it (R9.12).
 */
export async function chargeOpenInvoices(deps: ChargeDeps, organizationId: number, ctx: ChargeContext): Promise<ChargeOutcome[]> {
  const open = await openInvoicesOf(deps.db, organizationId);
  const outcomes: ChargeOutcome[] = [];
  for (const { id } of open) {
    const outcome = await chargeInvoice(deps, id, ctx);
    outcomes.push(outcome);
    if (outcome.status === 'failed' || outcome.status === 'unknown') break;
  }
  return outcomes;
}
