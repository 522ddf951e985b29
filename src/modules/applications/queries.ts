import { ownerColumns, type Owner } from '../owners/columns.ts';
import { insertReturningId, placeholders, type Sql, type Statement } from '../../db/sql.ts';
import type { VisibleResources } from '../tenancy/policy.ts';
import { visibleResourcesWhere } from '../tenancy/visible-resources-sql.ts';

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

export async function listApplicationsOf(db: Sql, owner: Owner): Promise<{ id: number; name: string; description: string; devices: number }[]> {
  // Each application's devices are counted from the devices index, one application at a time.
  const { owner_type, owner_id } = ownerColumns(owner);
  const rows = await db.rows<Record<string, unknown>>(
    `SELECT a.id, a.name, a.description, (SELECT count(*) FROM devices d WHERE d.application_id = a.id) AS devices
     FROM applications a WHERE a.owner_type = ? AND a.owner_id = ? ORDER BY a.name, a.id`,
    [owner_type, owner_id],
  );
  return rows.map(toApplicationListing);
}

/** A row of an owner's application list: the application and its device count. */
const toApplicationListing = (r: Record<string, unknown>) => ({ id: Number(r.id), name: String(r.name), description: String(r.description), devices: Number(r.devices) });

/**
 * One page of an owner's applications the viewer may see, by name, each
 * with its device count, and how many there are in all: one statement (the
 * total is a scalar count over the same filter; the device counts are read
 * for the page's rows only).
 */
export async function pageApplicationsOf(
  db: Sql,
  owner: Owner,
  visible: VisibleResources,
  window: { limit: number; offset: number },
): Promise<{ rows: { id: number; name: string; description: string; devices: number }[]; total: number }> {
  const where = visibleResourcesWhere(visible, 'a.id', db.postgres);
  if (!where) return { rows: [], total: 0 };
  const { owner_type, owner_id } = ownerColumns(owner);
  // The total is a scalar subquery over the same rows: on SQLite a window
  // count (count(*) OVER ()) doubles the statement's time.
  const filter = `a.owner_type = ? AND a.owner_id = ?${where.sql}`;
  const bindings = [owner_type, owner_id, ...where.bindings];
  const rows = await db.rows<Record<string, unknown>>(
    `SELECT p.id, p.name, p.description, (SELECT count(*) FROM applications a WHERE ${filter}) AS total,
            (SELECT count(*) FROM devices d WHERE d.application_id = p.id) AS devices
     FROM (SELECT a.id, a.name, a.description FROM applications a WHERE ${filter} ORDER BY a.name, a.id LIMIT ? OFFSET ?) p
     ORDER BY p.name, p.id`,
    [...bindings, ...bindings, window.limit, window.offset],
  );
  // Past the last page no row carries the total: the caller reads the first page for it.
  const total = rows.length > 0 ? Number(rows[0]!.total) : 0;
  return { rows: rows.map(toApplicationListing), total };
}

export async function insertApplication(
  db: Sql,
  input: { owner: Owner; name: string; description: string; createdByUserId: number; now: Date },
): Promise<number> {
  return insertReturningId(db, 'applications', {
    ...ownerColumns(input.owner),
    name: input.name,
    description: input.description,
    created_by_user_id: input.createdByUserId,
    created_at: input.now.getTime(),
  });
}

export async function listDevices(db: Sql, applicationId: number): Promise<Device[]> {
  const rows = await db.rows<Record<string, unknown>>('SELECT * FROM devices WHERE application_id = ? ORDER BY name, id', [applicationId]);
  return rows.map((r) => ({
    id: Number(r.id),
    applicationId: Number(r.application_id),
    name: String(r.name),
    lastState: parseState(r.last_state_json as string | null),
    lastSeenAt: r.last_seen_at == null ? null : new Date(Number(r.last_seen_at)),
    createdAt: new Date(Number(r.created_at)),
  }));
}

export async function listWorkflows(db: Sql, applicationId: number): Promise<Workflow[]> {
  const rows = await db.rows<Record<string, unknown>>('SELECT * FROM workflows WHERE application_id = ? ORDER BY name, id', [applicationId]);
  return rows.map((r) => ({
    id: Number(r.id),
    applicationId: Number(r.application_id),
    name: String(r.name),
    description: String(r.description),
    enabled: Boolean(r.enabled),
    updatedAt: new Date(Number(r.updated_at)),
  }));
}

export async function listAccessKeys(db: Sql, applicationId: number): Promise<AccessKey[]> {
  const rows = await db.rows<Record<string, unknown>>('SELECT * FROM access_keys WHERE application_id = ? ORDER BY id DESC', [applicationId]);
  return rows.map((r) => ({
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

/** The state a report makes the device's latest: the one with the latest time; among equal times, the last one sent. */
function latestOf<R extends { time: number }>(rows: readonly R[]): R | undefined {
  let latest = rows[0];
  for (const row of rows) if (latest === undefined || row.time >= latest.time) latest = row;
  return latest;
}

/**
 * The device's latest state is the one with the latest time (a backfill of
 * older states does not replace it); among equal times, the last one sent.
 */
export async function updateLatestState(sql: Sql, deviceId: number, rows: readonly { time: number; data: string }[]) {
  const latest = latestOf(rows);
  if (!latest) return;
  await sql.run(UPDATE_LATEST_STATE, [latest.data, latest.time, deviceId, latest.time]);
}

/**
 * PostgreSQL, issue 18: `updateLatestState` as a part of one larger statement
 * (the device API's report), done only when `when` (SQL from code) holds.
 */
export function latestStateWritePostgres(deviceId: number, rows: readonly { time: number; data: string }[], when: string): Statement {
  const latest = latestOf(rows);
  if (!latest) throw new Error('no state to keep as the latest');
  return { sql: `${UPDATE_LATEST_STATE} AND ${when}`, bindings: [latest.data, latest.time, deviceId, latest.time] };
}

/** R3.9: every application of an owner goes (devices, workflows and keys cascade); their ids, for the caller's other deletions. */
export async function applicationIdsOf(db: Sql, owner: Owner): Promise<number[]> {
  const { owner_type, owner_id } = ownerColumns(owner);
  return (await db.rows<{ id: number }>('SELECT id FROM applications WHERE owner_type = ? AND owner_id = ?', [owner_type, owner_id])).map((r) => Number(r.id));
}

export async function deleteApplications(db: Sql, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.run(`DELETE FROM applications WHERE id IN (${placeholders(ids.length)})`, ids);
}

/** An access key was used at `at` (ms); written only when its last use is at or before `unlessAfter`, so several instances write a minute once. */
export async function noteAccessKeyUse(db: Sql, keyId: number, at: number, unlessAfter: number): Promise<void> {
  await db.run('UPDATE access_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)', [at, keyId, unlessAfter]);
}

export interface ApplicationSummary {
  id: number;
  name: string;
  description: string;
  owner: Owner;
  createdAt: Date;
  devices: number;
}

/** An owner's applications with their device counts (the REST API's lists, R16.1). */
export async function applicationSummariesOf(db: Sql, owner: Owner): Promise<ApplicationSummary[]> {
  const { owner_type, owner_id } = ownerColumns(owner);
  const rows = await db.rows<Record<string, unknown>>(
    `SELECT a.id, a.name, a.description, a.created_at, (SELECT count(*) FROM devices d WHERE d.application_id = a.id) AS devices
     FROM applications a WHERE a.owner_type = ? AND a.owner_id = ? ORDER BY a.name, a.id`,
    [owner_type, owner_id],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    name: String(r.name),
    description: String(r.description),
    owner,
    createdAt: new Date(Number(r.created_at)),
    devices: Number(r.devices),
  }));
}
