import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/knex.ts';

export interface WorkflowInput {
  name: string;
  description: string;
  enabled: boolean;
}

/** R5.1: workflows have a name, a description and an enabled flag. */
export async function createWorkflow(db: Db, clock: Clock, applicationId: number, input: WorkflowInput): Promise<void> {
  const now = clock.now().getTime();
  await db('workflows').insert({ application_id: applicationId, ...input, created_at: now, updated_at: now });
}

export async function updateWorkflow(db: Db, clock: Clock, applicationId: number, workflowId: number, input: WorkflowInput): Promise<boolean> {
  return (await db('workflows').where({ id: workflowId, application_id: applicationId }).update({ ...input, updated_at: clock.now().getTime() })) === 1;
}

export async function deleteWorkflow(db: Db, applicationId: number, workflowId: number): Promise<boolean> {
  return (await db('workflows').where({ id: workflowId, application_id: applicationId }).delete()) === 1;
}
