import type { Sql } from '../../db/sql.ts';
import { deleteResourceRolesOn } from '../tenancy/queries/memberships.ts';
import { deletePayloadsOfApplications } from '../usage/queries.ts';
import { deleteApplicationRow } from './queries.ts';

/**
 * R5.1: deletes an application with its devices, workflows, keys and stored
 * data (cascading foreign keys), and the per-resource roles on it. Usage
 * counters stay: they are the billing record of payloads already received.
 */
export async function deleteApplication(db: Sql, id: number): Promise<void> {
  await db.transaction(async (trx) => {
    await deleteResourceRolesOn(trx, 'application', [id]);
    await deletePayloadsOfApplications(trx, [id]);
    await deleteApplicationRow(trx, id);
  });
}
