import { usagePeriodOf } from '../../src/modules/owners/owner-period.ts';
import type { Organization } from '../../src/modules/tenancy/queries/organizations.ts';
import type { TestContext } from './app.ts';

/** A page's text as a reader sees it: tags dropped, the usual entities decoded, whitespace collapsed. */
export const visibleText = (html: string) =>
  html.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/\s+/g, ' ');

/** Payloads counted for an organization in its current period (usage counters, as the device API keeps them). */
export async function addPayloads(t: TestContext, org: Organization, payloads: number): Promise<void> {
  const period = await usagePeriodOf(t.deps.db, { kind: 'organization', organizationId: org.id }, t.clock.now());
  await t.knex('usage_counters').insert({ owner_type: 'organization', owner_id: org.id, application_id: 1, period_start: period.start.getTime(), application_name: 'Fleet', payloads, rejected: 0 });
}
