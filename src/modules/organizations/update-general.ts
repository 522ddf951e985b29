import type { Db } from '../../db/knex.ts';
import { updateOrganizationGeneral, type Organization } from './queries.ts';

/** R3.8: the General tab. */
export async function updateGeneralSettings(
  db: Db,
  organization: Organization,
  input: { name: string; description: string; iconColor: string },
): Promise<{ ok: true; before: Pick<Organization, 'name' | 'description' | 'iconColor'> }> {
  const before = { name: organization.name, description: organization.description, iconColor: organization.iconColor };
  await updateOrganizationGeneral(db, organization.id, input);
  return { ok: true, before };
}
