import type { DbOrTrx } from '../../db/knex.ts';
import { ownerColumns, type Owner } from '../owners/columns.ts';
import { statementsOf, type Statements } from '../../db/sql.ts';

export interface Application {
  id: number;
  name: string;
  description: string;
  owner: Owner;
  createdAt: Date;
}

export interface Device {
  id: number;
  applicationId: number;
  name: string;
  lastState: Record<string, unknown> | null;
  lastSeenAt: Date | null;
  createdAt: Date;
}

export interface Workflow {
  id: number;
  applicationId: number;
  name: string;
  description: string;
  enabled: boolean;
  updatedAt: Date;
}

export interface AccessKey {
  id: number;
  keyId: string;
  name: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

const parseState = (s: string | null): Record<string, unknown> | null => {
  if (!s) return null;
  try {
    const v = JSON.parse(s) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

export async function listApplicationsOf(db: DbOrTrx, owner: Owner): Promise<{ id: number; name: string; description: string; devices: number }[]> {
  // Each application's devices are counted from the devices index, one application at a time.
  const { owner_type, owner_id } = ownerColumns(owner);
  const rows = await statementsOf(db).rows<Record<string, unknown>>(
    `SELECT a.id, a.name, a.description, (SELECT count(*) FROM devices d WHERE d.application_id = a.id) AS devices
     FROM applications a WHERE a.owner_type = ? AND a.owner_id = ? ORDER BY a.name, a.id`,
    [owner_type, owner_id],
  );
  return rows.map((r) => ({ id: Number(r.id), name: String(r.name), description: String(r.description), devices: Number(r.devices) }));
}

export async function insertApplication(
  db: DbOrTrx,
  input: { owner: Owner; name: string; description: string; createdByUserId: number; now: Date },
): Promise<number> {
  const [row] = await db('applications')
    .insert({ ...ownerColumns(input.owner), name: input.name, description: input.description, created_by_user_id: input.createdByUserId, created_at: input.now.getTime() })
    .returning('id');
  return Number(typeof row === 'object' ? (row as { id: number }).id : row);
}

export async function listDevices(db: DbOrTrx, applicationId: number): Promise<Device[]> {
  const rows = await db('devices').where({ application_id: applicationId }).orderBy([{ column: 'name' }, { column: 'id' }]);
  return rows.map((r: Record<string, unknown>) => ({
    id: Number(r.id),
    applicationId: Number(r.application_id),
    name: String(r.name),
    lastState: parseState(r.last_state_json as string | null),
    lastSeenAt: r.last_seen_at == null ? null : new Date(Number(r.last_seen_at)),
    createdAt: new Date(Number(r.created_at)),
  }));
}

export async function listWorkflows(db: DbOrTrx, applicationId: number): Promise<Workflow[]> {
  const rows = await db('workflows').where({ application_id: applicationId }).orderBy([{ column: 'name' }, { column: 'id' }]);
  return rows.map((r: Record<string, unknown>) => ({
    id: Number(r.id),
    applicationId: Number(r.application_id),
    name: String(r.name),
    description: String(r.description),
    enabled: Boolean(r.enabled),
    updatedAt: new Date(Number(r.updated_at)),
  }));
}

export async function listAccessKeys(db: DbOrTrx, applicationId: number): Promise<AccessKey[]> {
  const rows = await db('access_keys').where({ application_id: applicationId }).orderBy('id', 'desc');
  return rows.map((r: Record<string, unknown>) => ({
    id: Number(r.id),
    keyId: String(r.key_id),
    name: String(r.name),
    createdAt: new Date(Number(r.created_at)),
    revokedAt: r.revoked_at == null ? null : new Date(Number(r.revoked_at)),
    lastUsedAt: r.last_used_at == null ? null : new Date(Number(r.last_used_at)),
  }));
}

const UPDATE_LATEST_STATE = `UPDATE devices SET last_state_json = ?, last_seen_at = ?
  WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at <= ?)`;

/**
 * The device's latest state is the one with the latest time (a backfill of
 * older states does not replace it); among equal times, the last one sent.
 */
export async function updateLatestState(sql: Statements, deviceId: number, rows: readonly { time: number; data: string }[]) {
  let latest = rows[0];
  for (const row of rows) if (latest === undefined || row.time >= latest.time) latest = row;
  if (!latest) return;
  await sql.run(UPDATE_LATEST_STATE, [latest.data, latest.time, deviceId, latest.time]);
}

/** R3.9: every application of an owner goes (devices, workflows and keys cascade); their ids, for the caller's other deletions. */
export async function applicationIdsOf(db: DbOrTrx, owner: Owner): Promise<number[]> {
  return (await db('applications').where(ownerColumns(owner)).select('id')).map((r: { id: number }) => r.id);
}

export async function deleteApplications(db: DbOrTrx, ids: number[]): Promise<void> {
  if (ids.length) await db('applications').whereIn('id', ids).delete();
}

/** An access key was used at `at` (ms); written only when its last use is at or before `unlessAfter`, so several instances write a minute once. */
export async function noteAccessKeyUse(db: DbOrTrx, keyId: number, at: number, unlessAfter: number): Promise<void> {
  await statementsOf(db).run('UPDATE access_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)', [at, keyId, unlessAfter]);
}
