import { ownerColumns, ownerFromColumns, type Owner } from '../owners/columns.ts';
import { OWNER_TERMS_COLUMNS, ownerTermsJoins } from '../owners/queries.ts';
import type { OwnerTermsColumns } from '../owners/owner-period.ts';
import { insertReturningId, insertRows, placeholders, type Sql, type Statement } from '../../db/sql.ts';
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
 * PostgreSQL: `updateLatestState` as a part of one larger statement
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

// ---------------------------------------------------------------------------
// What a dashboard block reads of an application and its devices (R6.2):
// dashboards show device data and never change it.

export interface SourceApplication {
  id: number;
  name: string;
  owner: Owner;
}

export interface SourceDevice {
  id: number;
  applicationId: number;
  name: string;
  lastStateJson: string | null;
  lastSeenAt: Date | null;
}

const toSourceApplication = (r: { id: number; name: string; owner_type: string; owner_id: number }): SourceApplication => ({
  id: Number(r.id),
  name: r.name,
  owner: ownerFromColumns(r),
});

const toSourceDevice = (r: { id: number; application_id: number; name: string; last_state_json: string | null; last_seen_at: number | null }): SourceDevice => ({
  id: Number(r.id),
  applicationId: Number(r.application_id),
  name: r.name,
  lastStateJson: r.last_state_json,
  lastSeenAt: r.last_seen_at == null ? null : new Date(Number(r.last_seen_at)),
});

export async function findSourceApplication(db: Sql, id: number): Promise<SourceApplication | undefined> {
  const row = await db.first<{ id: number; name: string; owner_type: string; owner_id: number }>('SELECT id, name, owner_type, owner_id FROM applications WHERE id = ?', [id]);
  return row ? toSourceApplication(row) : undefined;
}

export async function applicationsOfOwner(db: Sql, owner: Owner): Promise<SourceApplication[]> {
  const { owner_type, owner_id } = ownerColumns(owner);
  const rows = await db.rows<{ id: number; name: string; owner_type: string; owner_id: number }>(
    'SELECT id, name, owner_type, owner_id FROM applications WHERE owner_type = ? AND owner_id = ? ORDER BY name, id',
    [owner_type, owner_id],
  );
  return rows.map(toSourceApplication);
}

export async function findSourceDevice(db: Sql, id: number): Promise<SourceDevice | undefined> {
  const row = await db.first<Parameters<typeof toSourceDevice>[0]>('SELECT id, application_id, name, last_state_json, last_seen_at FROM devices WHERE id = ?', [id]);
  return row ? toSourceDevice(row) : undefined;
}

export async function devicesOfApplications(db: Sql, applicationIds: number[]): Promise<SourceDevice[]> {
  if (applicationIds.length === 0) return [];
  const rows = await db.rows<Parameters<typeof toSourceDevice>[0]>(
    `SELECT id, application_id, name, last_state_json, last_seen_at FROM devices WHERE application_id IN (${placeholders(applicationIds.length)}) ORDER BY name, id`,
    applicationIds,
  );
  return rows.map(toSourceDevice);
}

// ---------------------------------------------------------------------------
// The use cases' writes (R5.1) and the counts the limits need (R7.3).

/** R5.1: rename and describe an application. */
export async function updateApplicationDetails(db: Sql, id: number, input: { name: string; description: string }): Promise<void> {
  await db.run('UPDATE applications SET name = ?, description = ? WHERE id = ?', [input.name, input.description, id]);
}

/** Deletes one application; its devices, workflows and keys go by cascading foreign keys. */
export async function deleteApplicationRow(db: Sql, id: number): Promise<void> {
  await db.run('DELETE FROM applications WHERE id = ?', [id]);
}

/** R7.3: how many applications an owner has. */
export async function countApplicationsOf(db: Sql, owner: Owner): Promise<number> {
  const { owner_type, owner_id } = ownerColumns(owner);
  const row = await db.first<{ n: number | string }>('SELECT COUNT(*) AS n FROM applications WHERE owner_type = ? AND owner_id = ?', [owner_type, owner_id]);
  return Number(row?.n ?? 0);
}

/** R7.3: how many devices an owner has, over all its applications. */
export async function countDevicesOf(db: Sql, owner: Owner): Promise<number> {
  const { owner_type, owner_id } = ownerColumns(owner);
  const row = await db.first<{ n: number | string }>(
    'SELECT COUNT(*) AS n FROM devices d JOIN applications a ON a.id = d.application_id WHERE a.owner_type = ? AND a.owner_id = ?',
    [owner_type, owner_id],
  );
  return Number(row?.n ?? 0);
}

/** How many devices one application has. */
export async function countDevicesOfApplication(db: Sql, applicationId: number): Promise<number> {
  const row = await db.first<{ n: number | string }>('SELECT COUNT(*) AS n FROM devices WHERE application_id = ?', [applicationId]);
  return Number(row?.n ?? 0);
}

/** An application by id, only when `owner` has it (a transfer's starting point). */
export async function findApplicationOwnedBy(db: Sql, id: number, owner: Owner): Promise<{ id: number; name: string } | undefined> {
  const { owner_type, owner_id } = ownerColumns(owner);
  return db.first<{ id: number; name: string }>('SELECT id, name FROM applications WHERE id = ? AND owner_type = ? AND owner_id = ?', [id, owner_type, owner_id]);
}

/** R5.4: the application now belongs to `owner`. */
export async function moveApplicationTo(db: Sql, id: number, owner: Owner): Promise<void> {
  const { owner_type, owner_id } = ownerColumns(owner);
  await db.run('UPDATE applications SET owner_type = ?, owner_id = ? WHERE id = ?', [owner_type, owner_id, id]);
}

/** The stored row of an application, as the pages and the REST API check access to it. */
export interface ApplicationRow {
  id: number;
  owner_type: string;
  owner_id: number;
  name: string;
  description: string;
  created_at: number;
}

export async function findApplicationRow(db: Sql, id: number): Promise<ApplicationRow | undefined> {
  return db.first<ApplicationRow>('SELECT * FROM applications WHERE id = ?', [id]);
}

/** Every owner that has at least one application, in a fixed order (the retention pass walks them, R8.4). */
export async function ownersWithApplications(db: Sql): Promise<{ owner_type: string; owner_id: number }[]> {
  return db.rows<{ owner_type: string; owner_id: number }>('SELECT DISTINCT owner_type, owner_id FROM applications ORDER BY owner_type, owner_id');
}

/** R5.1: a new device of an application; its id. */
export async function insertDevice(db: Sql, input: { applicationId: number; name: string; createdAt: Date }): Promise<number> {
  return insertReturningId(db, 'devices', { application_id: input.applicationId, name: input.name, created_at: input.createdAt.getTime() });
}

/** Renames a device of an application; false when it has no such device. */
export async function renameDeviceRow(db: Sql, applicationId: number, deviceId: number, name: string): Promise<boolean> {
  return (await db.run('UPDATE devices SET name = ? WHERE id = ? AND application_id = ?', [name, deviceId, applicationId])) === 1;
}

/** Deletes a device of an application; false when it has no such device. */
export async function deleteDeviceRow(db: Sql, applicationId: number, deviceId: number): Promise<boolean> {
  return (await db.run('DELETE FROM devices WHERE id = ? AND application_id = ?', [deviceId, applicationId])) === 1;
}

/** Device names by id, for the ids given (an export names each payload's device, R14.1). */
export async function deviceNamesOf(db: Sql, deviceIds: readonly number[]): Promise<Map<number, string>> {
  if (deviceIds.length === 0) return new Map();
  const rows = await db.rows<{ id: number | string; name: string }>(`SELECT id, name FROM devices WHERE id IN (${placeholders(deviceIds.length)})`, [...deviceIds]);
  return new Map(rows.map((r) => [Number(r.id), r.name]));
}

export interface WorkflowFields {
  name: string;
  description: string;
  enabled: boolean;
}

export async function insertWorkflow(db: Sql, applicationId: number, input: WorkflowFields, at: Date): Promise<void> {
  const now = at.getTime();
  await db.run('INSERT INTO workflows (application_id, name, description, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', [
    applicationId,
    input.name,
    input.description,
    input.enabled ? 1 : 0,
    now,
    now,
  ]);
}

/** False when the application has no such workflow. */
export async function updateWorkflowRow(db: Sql, applicationId: number, workflowId: number, input: WorkflowFields, at: Date): Promise<boolean> {
  const changed = await db.run('UPDATE workflows SET name = ?, description = ?, enabled = ?, updated_at = ? WHERE id = ? AND application_id = ?', [
    input.name,
    input.description,
    input.enabled ? 1 : 0,
    at.getTime(),
    workflowId,
    applicationId,
  ]);
  return changed === 1;
}

/** False when the application has no such workflow. */
export async function deleteWorkflowRow(db: Sql, applicationId: number, workflowId: number): Promise<boolean> {
  return (await db.run('DELETE FROM workflows WHERE id = ? AND application_id = ?', [workflowId, applicationId])) === 1;
}

/** R5.1: a new access key; only the secret's hash is kept. */
export async function insertAccessKey(db: Sql, input: { applicationId: number; keyId: string; secretHash: string; name: string; createdAt: Date }): Promise<void> {
  await insertRows(db, 'access_keys', [
    { application_id: input.applicationId, key_id: input.keyId, secret_hash: input.secretHash, name: input.name, created_at: input.createdAt.getTime() },
  ]);
}

/** Revokes a live key of an application; false when there is none. */
export async function revokeAccessKeyRow(db: Sql, applicationId: number, keyRowId: number, at: Date): Promise<boolean> {
  return (await db.run('UPDATE access_keys SET revoked_at = ? WHERE id = ? AND application_id = ? AND revoked_at IS NULL', [at.getTime(), keyRowId, applicationId])) === 1;
}

/** Renames a key of an application; false when it has no such key. */
export async function renameAccessKeyRow(db: Sql, applicationId: number, keyRowId: number, name: string): Promise<boolean> {
  return (await db.run('UPDATE access_keys SET name = ? WHERE id = ? AND application_id = ?', [name, keyRowId, applicationId])) === 1;
}

// ---------------------------------------------------------------------------
// The device API's key check (R16.2), one indexed read on every device
// request: the key by its unique id, its application, the device of that application the request
// names (a LEFT JOIN, so an unknown device still finds the key), and the
// application owner's billing status, plan and period anchor (joins by
// primary key and unique columns). Plain SQL, the same on SQLite and
// PostgreSQL; it runs on every device request.
const keyLookup = (where: 'k.key_id = ?' | 'k.id = ?') => `SELECT k.id, k.application_id, k.secret_hash, k.revoked_at, k.last_used_at, a.owner_type, a.owner_id, a.name, d.id AS device_id,
  ${OWNER_TERMS_COLUMNS}
  FROM access_keys k
  JOIN applications a ON a.id = k.application_id
  LEFT JOIN devices d ON d.id = ? AND d.application_id = k.application_id
  ${ownerTermsJoins('a')}
  WHERE ${where}`;
const KEY_LOOKUP = keyLookup('k.key_id = ?');
const KEY_LOOKUP_BY_ROW_ID = keyLookup('k.id = ?');

/** An access key with its application, the device asked about, and its owner's terms. */
export interface AccessKeyRow extends OwnerTermsColumns {
  id: number;
  application_id: number;
  secret_hash: string;
  revoked_at: number | null;
  last_used_at: number | null;
  owner_type: string;
  owner_id: number;
  name: string;
  device_id: number | null;
}

/** An access key by its key id, with its application, the device `deviceId` (null for none) when it is that application's, and the owner's terms. */
export async function findAccessKeyWithTerms(db: Sql, keyId: string, deviceId: number | null): Promise<AccessKeyRow | undefined> {
  return db.first<AccessKeyRow>(KEY_LOOKUP, [deviceId, keyId]);
}

/** The same read by the key's row id (a device token names it). */
export async function findAccessKeyByRowIdWithTerms(db: Sql, keyRowId: number, deviceId: number | null): Promise<AccessKeyRow | undefined> {
  return db.first<AccessKeyRow>(KEY_LOOKUP_BY_ROW_ID, [deviceId, keyRowId]);
}

/** Whether an application exists (to tell "no such application" from "not this key's application"). */
export async function applicationExists(db: Sql, applicationId: number): Promise<boolean> {
  return (await db.first('SELECT id FROM applications WHERE id = ?', [applicationId])) !== undefined;
}

/** Applications of each organization given, by organization id (the back-office list, R11.1). */
export async function applicationCountsOf(db: Sql, organizationIds: readonly number[]): Promise<Map<number, number>> {
  if (organizationIds.length === 0) return new Map();
  const rows = await db.rows<{ id: number; n: number | string }>(
    `SELECT owner_id AS id, COUNT(*) AS n FROM applications WHERE owner_type = 'organization' AND owner_id IN (${placeholders(organizationIds.length)}) GROUP BY owner_id`,
    [...organizationIds],
  );
  return new Map(rows.map((r) => [Number(r.id), Number(r.n)]));
}

/** Devices of each organization given, over its applications, by organization id (the back-office list, R11.1). */
export async function deviceCountsOf(db: Sql, organizationIds: readonly number[]): Promise<Map<number, number>> {
  if (organizationIds.length === 0) return new Map();
  const rows = await db.rows<{ id: number; n: number | string }>(
    `SELECT a.owner_id AS id, COUNT(*) AS n FROM devices d JOIN applications a ON a.id = d.application_id
     WHERE a.owner_type = 'organization' AND a.owner_id IN (${placeholders(organizationIds.length)}) GROUP BY a.owner_id`,
    [...organizationIds],
  );
  return new Map(rows.map((r) => [Number(r.id), Number(r.n)]));
}
