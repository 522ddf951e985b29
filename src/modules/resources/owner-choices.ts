import type { Sql } from '../../db/sql.ts';
import { can, type Role } from '../tenancy/policy.ts';
import { organizationsOfUser } from '../tenancy/queries/organizations.ts';
import { ownerFormValue, type Owner } from '../owners/columns.ts';

export interface OwnerChoice {
  value: string;
  label: string;
  owner: Owner;
}

/**
 * R5.3: where a user may create an application or dashboard: their Sandbox,
 * and each organization where they are Editor or Administrator.
 */
export async function ownerChoices(db: Sql, user: { id: number }): Promise<OwnerChoice[]> {
  const orgs = await organizationsOfUser(db, user.id);
  const choices: OwnerChoice[] = [{ value: 'sandbox', label: 'Your Sandbox', owner: { kind: 'sandbox', userId: user.id } }];
  for (const org of orgs) {
    if (!can(org.role as Role, 'resources.create')) continue;
    const owner: Owner = { kind: 'organization', organizationId: org.id };
    choices.push({ value: ownerFormValue(owner), label: org.name, owner });
  }
  return choices;
}

/** The chosen owner if the user may create there, else null (a 4xx for the caller). */
export async function allowedOwner(db: Sql, user: { id: number }, formValue: unknown): Promise<OwnerChoice | null> {
  return (await ownerChoices(db, user)).find((c) => c.value === formValue) ?? null;
}
