import type { Db } from '../../db/knex.ts';

/** R5.1: rename and describe. */
export async function updateApplication(db: Db, id: number, input: { name: string; description: string }): Promise<void> {
  await db('applications').where({ id }).update({ name: input.name, description: input.description });
}
