import type { Sql } from '../../db/sql.ts';
import { DAY_MS } from '../../clock.ts';
import { addMonthsClamped } from '../owners/periods.ts';
import { DELETED_INVOICES_MONTHS } from '../tenancy/access.ts';
import { recentlyDeletedOrganizationsOf } from '../tenancy/queries/organizations.ts';

/** R3.9: how long the listing tells former members that an organization was deleted. */
export const DELETED_NOTICE_DAYS = 30;

export interface DeletedOrganizationShown {
  name: string;
  slug: string;
  role: string;
  deletedAt: Date;
  /** Still within the notice window. */
  notice: boolean;
  /** R9.14: former Administrators read the invoices for 12 months; null for everyone else, or after. */
  invoicesUrl: string | null;
  invoicesUntil: Date;
}

/**
 * The deleted organizations a user's listing names: each one within its
 * notice window, and each whose invoices the user may still read.
 */
export async function deletedOrganizationsShownTo(db: Sql, userId: number, now: Date): Promise<DeletedOrganizationShown[]> {
  const noticeSince = now.getTime() - DELETED_NOTICE_DAYS * DAY_MS;
  return (await recentlyDeletedOrganizationsOf(db, userId, addMonthsClamped(now, -DELETED_INVOICES_MONTHS)))
    .map((d) => {
      const invoicesUntil = addMonthsClamped(d.deletedAt, DELETED_INVOICES_MONTHS);
      const readable = d.role === 'administrator' && invoicesUntil.getTime() > now.getTime();
      return { ...d, notice: d.deletedAt.getTime() >= noticeSince, invoicesUrl: readable ? `/orgs/deleted/${d.slug}/invoices` : null, invoicesUntil };
    })
    .filter((d) => d.notice || d.invoicesUrl);
}
