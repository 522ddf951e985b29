import type { Sql } from '../../db/sql.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import { billingStatusOf } from '../owners/owner-period.ts';
import { lockOwner, ownerFormValue, type Owner } from '../owners/columns.ts';
import { findOrganizationById } from '../tenancy/queries/organizations.ts';

/** Locks both sides of a transfer in a fixed order, so two opposite transfers cannot deadlock. */
export async function lockBothOwners(trx: Sql, a: Owner, b: Owner): Promise<void> {
  const [first, second] = [a, b].sort((x, y) => ownerFormValue(x).localeCompare(ownerFormValue(y)));
  await lockOwner(trx, first!);
  await lockOwner(trx, second!);
}

/** R9.8: nothing moves out of or into an Unpaid organization. Answers the Unpaid side, if any. */
export async function unpaidSide(trx: Sql, from: Owner, to: Owner): Promise<'from' | 'to' | null> {
  if ((await billingStatusOf(trx, from)) === 'unpaid') return 'from';
  if ((await billingStatusOf(trx, to)) === 'unpaid') return 'to';
  return null;
}

export const ownerLabel = async (db: Sql, owner: Owner): Promise<string> =>
  owner.kind === 'sandbox' ? 'a Sandbox' : String((await findOrganizationById(db, owner.organizationId))?.name);

/** R4.5, R5.4: a transfer is written to the audit log of each organization involved. */
export async function auditTransfer(
  trx: Sql,
  input: { actor: User; from: Owner; to: Owner; resource: { type: 'application' | 'dashboard'; id: number; name: string }; details: Record<string, unknown>; at: Date },
): Promise<void> {
  const fromLabel = await ownerLabel(trx, input.from);
  const toLabel = await ownerLabel(trx, input.to);
  for (const [side, key, other, direction] of [
    [input.from, 'to', toLabel, 'out'],
    [input.to, 'from', fromLabel, 'in'],
  ] as const) {
    if (side.kind !== 'organization') continue;
    await recordAudit(trx, {
      organizationId: side.organizationId,
      actor: userActor(input.actor),
      action: `${input.resource.type}.transferred_${direction}`,
      target: { type: input.resource.type, id: input.resource.id, label: input.resource.name },
      after: { [key]: other, ...input.details },
      at: input.at,
    });
  }
}
