import type { Sql } from '../../db/sql.ts';
import { updateApplicationDetails } from './queries.ts';

/** R5.1: rename and describe. */
export async function updateApplication(db: Sql, id: number, input: { name: string; description: string }): Promise<void> {
  await updateApplicationDetails(db, id, input);
}
