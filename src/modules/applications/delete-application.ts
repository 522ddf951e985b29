import type { Db } from '../../db/knex.ts';

/**
 * R5.1: deletes an application with its devices, workflows, keys and stored
 * data (cascading foreign keys), and the per-resource roles on it. Usage
 * counters stay: they are the billing record of payloads already received.
 */
export async function deleteApplication(db: Db, id: number): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('resource_roles').where({ resource_type: 'application', resource_id: id }).delete();
    await trx('payloads').where({ application_id: id }).delete();
    await trx('applications').where({ id }).delete();
  });
}
