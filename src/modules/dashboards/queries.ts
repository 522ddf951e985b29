import type { DbOrTrx } from '../../db/knex.ts';
import { ownerColumns, ownerFromColumns, type Owner } from '../owners/columns.ts';
import type { BlockKind, Visibility } from './policy.ts';
import { statementsOf } from '../../db/sql.ts';
import { deleteResourceRolesOn } from '../tenancy/membership-queries.ts';

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

export async function findDashboard(db: DbOrTrx, id: number): Promise<Dashboard | undefined> {
  const row = await db<DashboardRow>('dashboards').where({ id }).first();
  return row ? toDashboard(row) : undefined;
}

export async function findDashboardByShareToken(db: DbOrTrx, shareToken: string): Promise<Dashboard | undefined> {
  const row = await db<DashboardRow>('dashboards').where({ share_token: shareToken }).first();
  return row ? toDashboard(row) : undefined;
}

/** An owner's dashboards by name, for the Sandbox and organization overview pages. */
export async function listDashboardsOf(db: DbOrTrx, owner: Owner): Promise<{ id: number; name: string; visibility: Visibility }[]> {
  const { owner_type, owner_id } = ownerColumns(owner);
  const rows = await statementsOf(db).rows<Pick<DashboardRow, 'id' | 'name' | 'visibility'>>(
    'SELECT id, name, visibility FROM dashboards WHERE owner_type = ? AND owner_id = ? ORDER BY name, id',
    [owner_type, owner_id],
  );
  return rows.map((r) => ({ id: Number(r.id), name: r.name, visibility: r.visibility }));
}

export async function insertDashboard(
  db: DbOrTrx,
  input: { owner: Owner; name: string; description: string; shareToken: string; createdByUserId: number; now: Date },
): Promise<number> {
  const [row] = await db('dashboards')
    .insert({
      ...ownerColumns(input.owner),
      name: input.name,
      description: input.description,
      visibility: 'private',
      password_hash: null,
      share_token: input.shareToken,
      created_by_user_id: input.createdByUserId,
      created_at: input.now.getTime(),
    })
    .returning('id');
  return Number(typeof row === 'object' ? (row as { id: number }).id : row);
}

export async function updateDashboardDetails(db: DbOrTrx, id: number, input: { name: string; description: string }): Promise<void> {
  await db('dashboards').where({ id }).update({ name: input.name, description: input.description });
}

export async function updateDashboardVisibility(db: DbOrTrx, id: number, input: { visibility: Visibility; passwordHash: string | null }): Promise<void> {
  await db('dashboards').where({ id }).update({ visibility: input.visibility, password_hash: input.passwordHash });
}

export async function deleteDashboardRow(db: DbOrTrx, id: number): Promise<void> {
  await db('dashboard_blocks').where({ dashboard_id: id }).delete();
  await db('dashboards').where({ id }).delete();
}

export async function listBlocks(db: DbOrTrx, dashboardId: number): Promise<Block[]> {
  const rows = await db<BlockRow>('dashboard_blocks').where({ dashboard_id: dashboardId }).orderBy([{ column: 'position' }, { column: 'id' }]);
  return rows.map(toBlock);
}

export async function countBlocks(db: DbOrTrx, dashboardId: number): Promise<number> {
  const row = await db('dashboard_blocks').where({ dashboard_id: dashboardId }).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export async function insertBlock(
  db: DbOrTrx,
  input: { dashboardId: number; kind: BlockKind; title: string; applicationId: number; deviceId: number | null },
): Promise<number> {
  const last = await db('dashboard_blocks').where({ dashboard_id: input.dashboardId }).max({ p: 'position' }).first();
  const position = last?.p == null ? 1 : Number(last.p) + 1;
  const [row] = await db('dashboard_blocks')
    .insert({
      dashboard_id: input.dashboardId,
      position,
      kind: input.kind,
      title: input.title,
      application_id: input.applicationId,
      device_id: input.deviceId,
    })
    .returning('id');
  return Number(typeof row === 'object' ? (row as { id: number }).id : row);
}

export async function deleteBlockRow(db: DbOrTrx, dashboardId: number, blockId: number): Promise<number> {
  return db('dashboard_blocks').where({ id: blockId, dashboard_id: dashboardId }).delete();
}

// ---------------------------------------------------------------------------
// Read-only views of the device data a block shows. The applications module
// owns these tables; a dashboard only ever reads them.

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

export async function findSourceApplication(db: DbOrTrx, id: number): Promise<SourceApplication | undefined> {
  const row = await db('applications').where({ id }).first('id', 'name', 'owner_type', 'owner_id');
  return row ? toSourceApplication(row) : undefined;
}

export async function applicationsOfOwner(db: DbOrTrx, owner: Owner): Promise<SourceApplication[]> {
  const rows = await db('applications')
    .where(ownerColumns(owner))
    .orderBy([{ column: 'name' }, { column: 'id' }])
    .select('id', 'name', 'owner_type', 'owner_id');
  return rows.map(toSourceApplication);
}

export async function findSourceDevice(db: DbOrTrx, id: number): Promise<SourceDevice | undefined> {
  const row = await db('devices').where({ id }).first('id', 'application_id', 'name', 'last_state_json', 'last_seen_at');
  return row ? toSourceDevice(row) : undefined;
}

export async function devicesOfApplications(db: DbOrTrx, applicationIds: number[]): Promise<SourceDevice[]> {
  if (applicationIds.length === 0) return [];
  const rows = await db('devices')
    .whereIn('application_id', applicationIds)
    .orderBy([{ column: 'name' }, { column: 'id' }])
    .select('id', 'application_id', 'name', 'last_state_json', 'last_seen_at');
  return rows.map(toSourceDevice);
}

/**
 * An application's payloads per UTC day in [fromDay, toDay] (R8.2), keyed by
 * the day's start in epoch milliseconds. Summed over owners, so days from
 * before a transfer still count.
 */
export async function dailyPayloads(db: DbOrTrx, applicationId: number, fromDay: Date, toDay: Date): Promise<Map<number, number>> {
  const rows = await db('usage_daily')
    .where({ application_id: applicationId })
    .whereBetween('day', [fromDay.getTime(), toDay.getTime()])
    .groupBy('day')
    .select('day')
    .sum({ n: 'payloads' });
  return new Map((rows as { day: number | string; n: number | string | null }[]).map((r) => [Number(r.day), Number(r.n ?? 0)]));
}

/** R3.9: every dashboard of an owner goes with it (blocks cascade). */
export async function deleteDashboardsOf(db: DbOrTrx, owner: Owner): Promise<number> {
  const cols = owner.kind === 'sandbox' ? { owner_type: 'user', owner_id: owner.userId } : { owner_type: 'organization', owner_id: owner.organizationId };
  const ids = (await db('dashboards').where(cols).select('id')).map((r: { id: number }) => r.id);
  await deleteResourceRolesOn(db, 'dashboard', ids);
  return ids.length ? db('dashboards').whereIn('id', ids).delete() : 0;
}
