import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';

export interface WorkflowInput {
  name: string;
  description: string;
  enabled: boolean;
}

/** R5.1: workflows have a name, a description and an enabled flag. */
export async function createWorkflow(db: Sql, clock: Clock, applicationId: number, input: WorkflowInput): Promise<void> {
  const now = clock.now().getTime();
  await db.run('INSERT INTO workflows (application_id, name, description, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', [
    applicationId,
    input.name,
    input.description,
    input.enabled ? 1 : 0,
    now,
    now,
  ]);
}

export async function updateWorkflow(db: Sql, clock: Clock, applicationId: number, workflowId: number, input: WorkflowInput): Promise<boolean> {
  const changed = await db.run('UPDATE workflows SET name = ?, description = ?, enabled = ?, updated_at = ? WHERE id = ? AND application_id = ?', [
    input.name,
    input.description,
    input.enabled ? 1 : 0,
    clock.now().getTime(),
    workflowId,
    applicationId,
  ]);
  return changed === 1;
}

export async function deleteWorkflow(db: Sql, applicationId: number, workflowId: number): Promise<boolean> {
  return (await db.run('DELETE FROM workflows WHERE id = ? AND application_id = ?', [workflowId, applicationId])) === 1;
}
