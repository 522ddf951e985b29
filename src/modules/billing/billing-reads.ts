import type { BillingReads } from '../owners/standing.ts';
import { openBalanceOf } from './queries/invoices.ts';

/** Billing's answers to the modules below it (`Deps.billingReads`): the Past Due bar's sum owed (R9.10). */
export const billingReads: BillingReads = {
  owedOnOpenInvoices: async (db, organizationId) => (await openBalanceOf(db, organizationId)).owedCents,
};
