import type { Sql } from '../../db/sql.ts';

/** R5.1: rename and describe. */
export async function updateApplication(db: Sql, id: number, input: { name: string; description: string }): Promise<void> {
  await db.run('UPDATE applications SET name = ?, description = ? WHERE id = ?', [input.name, input.description, id]);
}
