import type { Sql } from '../../db/sql.ts';
import { ownerColumns, type Owner } from '../owners/columns.ts';
import { resourceKey } from '../tenancy/policy.ts';

/** The `application:12` / `dashboard:7` keys of every resource an owner has now (R2.2). */
export async function ownedResourceKeys(db: Sql, owner: Owner): Promise<Set<string>> {
  const { owner_type, owner_id } = ownerColumns(owner);
  // One after the other: callers pass their transaction.
  const applications = await db.rows<{ id: number | string }>('SELECT id FROM applications WHERE owner_type = ? AND owner_id = ?', [owner_type, owner_id]);
  const dashboards = await db.rows<{ id: number | string }>('SELECT id FROM dashboards WHERE owner_type = ? AND owner_id = ?', [owner_type, owner_id]);
  return new Set([
    ...applications.map((r) => resourceKey({ type: 'application', id: Number(r.id) })),
    ...dashboards.map((r) => resourceKey({ type: 'dashboard', id: Number(r.id) })),
  ]);
}
