import type { Sql } from '../../db/sql.ts';
import { billingStatusOf } from '../owners/owner-period.ts';
import type { BillingStatus } from '../owners/queries.ts';
import { dailyChart, lastDays, type DailyChart } from './chart.ts';
import { BLOCK_KIND_LABELS, CHART_DAYS, type BlockKind } from './policy.ts';
import { listBlocks, type Block, type Dashboard } from './queries.ts';
import { findSourceDevice } from '../applications/queries.ts';
import { dailyPayloadsOfApplication } from '../usage/queries.ts';
import { judgeSource, type SourceVerdict } from './sources.ts';

export interface DeviceStateView {
  deviceName: string;
  applicationName: string;
  /** Shown in the reader's time zone by the template (R1.5). */
  lastSeenAt: Date | null;
  entries: { key: string; value: string }[];
  /** Keys beyond the ones shown. */
  moreKeys: number;
}

interface BlockBase {
  id: number;
  kind: BlockKind;
  kindLabel: string;
  title: string;
}

export type BlockView =
  | (BlockBase & { status: 'device_state'; device: DeviceStateView })
  | (BlockBase & { status: 'chart'; applicationName: string; chart: DailyChart })
  /** R5.2: the source no longer qualifies (or is gone); R9.8: its organization is Unpaid. */
  | (BlockBase & { status: 'unavailable'; reason: 'gone' | 'not_allowed' | 'unpaid' });

export interface DashboardContent {
  /** The owner's billing status; when 'unpaid' no block is read (R9.8). */
  billingStatus: BillingStatus;
  blocks: BlockView[];
}

const MAX_STATE_KEYS = 50;
const MAX_VALUE_CHARS = 200;

function stateEntries(json: string | null): { entries: { key: string; value: string }[]; moreKeys: number } {
  if (!json) return { entries: [], moreKeys: 0 };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { entries: [], moreKeys: 0 };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { entries: [{ key: 'value', value: show(parsed) }], moreKeys: 0 };
  const all = Object.entries(parsed as Record<string, unknown>);
  return { entries: all.slice(0, MAX_STATE_KEYS).map(([key, value]) => ({ key, value: show(value) })), moreKeys: Math.max(0, all.length - MAX_STATE_KEYS) };
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/**
 * What a dashboard shows now, for its members and for the public alike: each
 * block's data, or why it has none. The data rule (R5.2) is asked again here,
 * with the owner's memberships as they are now.
 */
export async function presentDashboard(db: Sql, dashboard: Dashboard, now: Date): Promise<DashboardContent> {
  const billingStatus = await billingStatusOf(db, dashboard.owner);
  if (billingStatus === 'unpaid') return { billingStatus, blocks: [] };
  const blocks = await listBlocks(db, dashboard.id);
  const verdicts = new Map<number, SourceVerdict>();
  const views: BlockView[] = [];
  for (const block of blocks) {
    views.push(await presentBlock(db, dashboard, block, verdicts, now));
  }
  return { billingStatus, blocks: views };
}

async function presentBlock(db: Sql, dashboard: Dashboard, block: Block, verdicts: Map<number, SourceVerdict>, now: Date): Promise<BlockView> {
  const base: BlockBase = { id: block.id, kind: block.kind, kindLabel: BLOCK_KIND_LABELS[block.kind] ?? block.kind, title: block.title };
  if (block.applicationId === null) return { ...base, status: 'unavailable', reason: 'gone' };
  let verdict = verdicts.get(block.applicationId);
  if (!verdict) {
    verdict = await judgeSource(db, dashboard.owner, block.applicationId);
    verdicts.set(block.applicationId, verdict);
  }
  if (!verdict.ok) return { ...base, status: 'unavailable', reason: verdict.reason };
  const application = verdict.application;
  switch (block.kind) {
    case 'device_state': {
      const device = block.deviceId === null ? undefined : await findSourceDevice(db, block.deviceId);
      if (!device || device.applicationId !== application.id) return { ...base, status: 'unavailable', reason: 'gone' };
      return {
        ...base,
        status: 'device_state',
        device: {
          deviceName: device.name,
          applicationName: application.name,
          lastSeenAt: device.lastSeenAt,
          ...stateEntries(device.lastStateJson),
        },
      };
    }
    case 'payloads_over_time': {
      const days = lastDays(now, CHART_DAYS);
      const counts = await dailyPayloadsOfApplication(db, application.id, days[0]!, days.at(-1)!);
      const chart = dailyChart(days.map((day) => ({ day, value: counts.get(day.getTime()) ?? 0 })));
      return { ...base, status: 'chart', applicationName: application.name, chart };
    }
    default:
      return { ...base, status: 'unavailable', reason: 'gone' };
  }
}
