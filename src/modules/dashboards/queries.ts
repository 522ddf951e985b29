import { ownerColumns, ownerFromColumns, type Owner } from '../owners/columns.ts';
import type { BlockKind, Visibility } from './policy.ts';
import { insertReturningId, placeholders, type Sql } from '../../db/sql.ts';
import { deleteResourceRolesOn } from '../tenancy/queries/memberships.ts';
import type { VisibleResources } from '../tenancy/policy.ts';
import { visibleResourcesWhere } from '../tenancy/visible-resources-sql.ts';

export interface Dashboard {
  id: number;
  owner: Owner;
  name: string;
  description: string;
  visibility: Visibility;
  passwordHash: string | null;
  shareToken: string;
  createdByUserId: number | null;
  createdAt: Date;
}

export interface Block {
  id: number;
  dashboardId: number;
  position: number;
  kind: BlockKind;
  title: string;
  applicationId: number | null;
  deviceId: number | null;
}

interface DashboardRow {
  id: number;
  owner_type: string;
  owner_id: number;
  name: string;
  description: string;
  visibility: Visibility;
  password_hash: string | null;
  share_token: string;
  created_by_user_id: number | null;
  created_at: number;
}

interface BlockRow {
  id: number;
  dashboard_id: number;
  position: number;
  kind: BlockKind;
  title: string;
  application_id: number | null;
  device_id: number | null;
}

const toDashboard = (r: DashboardRow): Dashboard => ({
  id: Number(r.id),
  owner: ownerFromColumns(r),
  name: r.name,
  description: r.description,
  visibility: r.visibility,
  passwordHash: r.password_hash,
  shareToken: r.share_token,
  createdByUserId: r.created_by_user_id == null ? null : Number(r.created_by_user_id),
  createdAt: new Date(Number(r.created_at)),
});

const toBlock = (r: BlockRow): Block => ({
  id: Number(r.id),
  dashboardId: Number(r.dashboard_id),
  position: Number(r.position),
  kind: r.kind,
  title: r.title,
  applicationId: r.application_id == null ? null : Number(r.application_id),
  deviceId: r.device_id == null ? null : Number(r.device_id),
});

/** The columns resourceAccess reads (R2.2, R2.5). */
export const dashboardResource = (d: Dashboard) => ({ type: 'dashboard' as const, id: d.id, ...ownerColumns(d.owner) });

export async function findDashboard(db: Sql, id: number): Promise<Dashboard | undefined> {
  const row = await db.first<DashboardRow>('SELECT * FROM dashboards WHERE id = ?', [id]);
  return row ? toDashboard(row) : undefined;
}

export async function findDashboardByShareToken(db: Sql, shareToken: string): Promise<Dashboard | undefined> {
  const row = await db.first<DashboardRow>('SELECT * FROM dashboards WHERE share_token = ?', [shareToken]);
  return row ? toDashboard(row) : undefined;
}

/** An owner's dashboards, whole (the REST API's lists, R16.1). */
export async function dashboardsOf(db: Sql, owner: Owner): Promise<Dashboard[]> {
  const { owner_type, owner_id } = ownerColumns(owner);
  const rows = await db.rows<DashboardRow>('SELECT * FROM dashboards WHERE owner_type = ? AND owner_id = ? ORDER BY name, id', [owner_type, owner_id]);
  return rows.map(toDashboard);
}

/** An owner's dashboards by name, for the Sandbox and organization overview pages. */
export async function listDashboardsOf(db: Sql, owner: Owner): Promise<{ id: number; name: string; visibility: Visibility }[]> {
  const { owner_type, owner_id } = ownerColumns(owner);
  const rows = await db.rows<Pick<DashboardRow, 'id' | 'name' | 'visibility'>>(
    'SELECT id, name, visibility FROM dashboards WHERE owner_type = ? AND owner_id = ? ORDER BY name, id',
    [owner_type, owner_id],
  );
  return rows.map((r) => ({ id: Number(r.id), name: r.name, visibility: r.visibility }));
}

/** One page of an owner's dashboards the viewer may see, by name, and how many there are in all: one statement. */
export async function pageDashboardsOf(
  db: Sql,
  owner: Owner,
  visible: VisibleResources,
  window: { limit: number; offset: number },
): Promise<{ rows: { id: number; name: string; visibility: Visibility }[]; total: number }> {
  const where = visibleResourcesWhere(visible, 'id', db.postgres);
  if (!where) return { rows: [], total: 0 };
  const { owner_type, owner_id } = ownerColumns(owner);
  // The total is a scalar subquery over the same rows: on SQLite a window
  // count (count(*) OVER ()) doubles the statement's time.
  const filter = `owner_type = ? AND owner_id = ?${where.sql}`;
  const bindings = [owner_type, owner_id, ...where.bindings];
  const rows = await db.rows<Pick<DashboardRow, 'id' | 'name' | 'visibility'> & { total: number | string }>(
    `SELECT id, name, visibility, (SELECT count(*) FROM dashboards WHERE ${filter}) AS total FROM dashboards
     WHERE ${filter} ORDER BY name, id LIMIT ? OFFSET ?`,
    [...bindings, ...bindings, window.limit, window.offset],
  );
  // Past the last page no row carries the total: the caller reads the first page for it.
  const total = rows.length > 0 ? Number(rows[0]!.total) : 0;
  return { rows: rows.map((r) => ({ id: Number(r.id), name: r.name, visibility: r.visibility })), total };
}

export async function insertDashboard(
  db: Sql,
  input: { owner: Owner; name: string; description: string; shareToken: string; createdByUserId: number; now: Date },
): Promise<number> {
  return insertReturningId(db, 'dashboards', {
    ...ownerColumns(input.owner),
    name: input.name,
    description: input.description,
    visibility: 'private',
    password_hash: null,
    share_token: input.shareToken,
    created_by_user_id: input.createdByUserId,
    created_at: input.now.getTime(),
  });
}

export async function updateDashboardDetails(db: Sql, id: number, input: { name: string; description: string }): Promise<void> {
  await db.run('UPDATE dashboards SET name = ?, description = ? WHERE id = ?', [input.name, input.description, id]);
}

export async function updateDashboardVisibility(db: Sql, id: number, input: { visibility: Visibility; passwordHash: string | null }): Promise<void> {
  await db.run('UPDATE dashboards SET visibility = ?, password_hash = ? WHERE id = ?', [input.visibility, input.passwordHash, id]);
}

export async function deleteDashboardRow(db: Sql, id: number): Promise<void> {
  await db.run('DELETE FROM dashboard_blocks WHERE dashboard_id = ?', [id]);
  await db.run('DELETE FROM dashboards WHERE id = ?', [id]);
}

export async function listBlocks(db: Sql, dashboardId: number): Promise<Block[]> {
  const rows = await db.rows<BlockRow>('SELECT * FROM dashboard_blocks WHERE dashboard_id = ? ORDER BY position, id', [dashboardId]);
  return rows.map(toBlock);
}

export async function countBlocks(db: Sql, dashboardId: number): Promise<number> {
  const row = await db.first<{ n: number }>('SELECT COUNT(*) AS n FROM dashboard_blocks WHERE dashboard_id = ?', [dashboardId]);
  return Number(row?.n ?? 0);
}

export async function insertBlock(
  db: Sql,
  input: { dashboardId: number; kind: BlockKind; title: string; applicationId: number; deviceId: number | null },
): Promise<number> {
  const last = await db.first<{ p: number | null }>('SELECT MAX(position) AS p FROM dashboard_blocks WHERE dashboard_id = ?', [input.dashboardId]);
  const position = last?.p == null ? 1 : Number(last.p) + 1;
  return insertReturningId(db, 'dashboard_blocks', {
    dashboard_id: input.dashboardId,
    position,
    kind: input.kind,
    title: input.title,
    application_id: input.applicationId,
    device_id: input.deviceId,
  });
}

export async function deleteBlockRow(db: Sql, dashboardId: number, blockId: number): Promise<number> {
  return db.run('DELETE FROM dashboard_blocks WHERE id = ? AND dashboard_id = ?', [blockId, dashboardId]);
}

/** The ids of an owner's dashboards. */
export async function dashboardIdsOf(db: Sql, owner: Owner): Promise<number[]> {
  const { owner_type, owner_id } = ownerColumns(owner);
  return (await db.rows<{ id: number | string }>('SELECT id FROM dashboards WHERE owner_type = ? AND owner_id = ?', [owner_type, owner_id])).map((r) => Number(r.id));
}

/** R7.3: how many dashboards an owner has. */
export async function countDashboardsOf(db: Sql, owner: Owner): Promise<number> {
  const { owner_type, owner_id } = ownerColumns(owner);
  const row = await db.first<{ n: number | string }>('SELECT COUNT(*) AS n FROM dashboards WHERE owner_type = ? AND owner_id = ?', [owner_type, owner_id]);
  return Number(row?.n ?? 0);
}

/** A dashboard by id, only when `owner` has it (a transfer's starting point). */
export async function findDashboardOwnedBy(db: Sql, id: number, owner: Owner): Promise<{ id: number; name: string } | undefined> {
  const { owner_type, owner_id } = ownerColumns(owner);
  return db.first<{ id: number; name: string }>('SELECT id, name FROM dashboards WHERE id = ? AND owner_type = ? AND owner_id = ?', [id, owner_type, owner_id]);
}

/** R5.4: the dashboard now belongs to `owner`. */
export async function moveDashboardTo(db: Sql, id: number, owner: Owner): Promise<void> {
  const { owner_type, owner_id } = ownerColumns(owner);
  await db.run('UPDATE dashboards SET owner_type = ?, owner_id = ? WHERE id = ?', [owner_type, owner_id, id]);
}

/** R3.9: every dashboard of an owner goes with it (blocks cascade). */
export async function deleteDashboardsOf(db: Sql, owner: Owner): Promise<number> {
  const ids = await dashboardIdsOf(db, owner);
  if (ids.length === 0) return 0;
  await deleteResourceRolesOn(db, 'dashboard', ids);
  return db.run(`DELETE FROM dashboards WHERE id IN (${placeholders(ids.length)})`, ids);
}
