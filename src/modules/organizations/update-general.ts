import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import { updateOrganizationGeneral, type Organization } from '../tenancy/queries/organizations.ts';

/** R3.8: the General tab; audited with what changed (R4.5). */
export async function updateGeneralSettings(
  db: Sql,
  clock: Clock,
  actor: User,
  organization: Organization,
  input: { name: string; description: string; iconColor: string },
): Promise<{ ok: true; changed: boolean }> {
  const before = { name: organization.name, description: organization.description, iconColor: organization.iconColor };
  const changedKeys = (Object.keys(before) as (keyof typeof before)[]).filter((k) => before[k] !== input[k]);
  if (changedKeys.length === 0) return { ok: true, changed: false };
  await db.transaction(async (trx) => {
    await updateOrganizationGeneral(trx, organization.id, input);
    await recordAudit(trx, {
      organizationId: organization.id,
      actor: userActor(actor),
      action: 'settings.general_updated',
      target: { type: 'organization', id: organization.id, label: input.name },
      before: Object.fromEntries(changedKeys.map((k) => [k, before[k]])),
      after: Object.fromEntries(changedKeys.map((k) => [k, input[k]])),
      at: clock.now(),
    });
  });
  return { ok: true, changed: true };
}
