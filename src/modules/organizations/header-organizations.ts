import type { Sql } from '../../db/sql.ts';
import type { HeaderOrganization } from '../../http/types.ts';
import { iconFor } from '../tenancy/icon.ts';
import { organizationsOfUser } from '../tenancy/queries/organizations.ts';

/**
 * R1.3: the organizations the header's Organizations dropdown lists for a
 * user, on every signed-in page. app.ts decorates the pages' context with it;
 * http/render.ts reads it.
 */
export function headerOrganizations(db: Sql): (userId: number) => Promise<HeaderOrganization[]> {
  return async (userId) => {
    const orgs = await organizationsOfUser(db, userId);
    return orgs.map((o) => ({ slug: o.slug, ...iconFor(o.name, o.iconColor) }));
  };
}
