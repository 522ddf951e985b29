import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import { deleteWorkflowRow, insertWorkflow, updateWorkflowRow, type WorkflowFields } from './queries.ts';

export type WorkflowInput = WorkflowFields;

/** R5.1: workflows have a name, a description and an enabled flag. */
export async function createWorkflow(db: Sql, clock: Clock, applicationId: number, input: WorkflowInput): Promise<void> {
  await insertWorkflow(db, applicationId, input, clock.now());
}

export async function updateWorkflow(db: Sql, clock: Clock, applicationId: number, workflowId: number, input: WorkflowInput): Promise<boolean> {
  return updateWorkflowRow(db, applicationId, workflowId, input, clock.now());
}

export async function deleteWorkflow(db: Sql, applicationId: number, workflowId: number): Promise<boolean> {
  return deleteWorkflowRow(db, applicationId, workflowId);
}
