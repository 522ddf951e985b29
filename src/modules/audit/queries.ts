import type { DbOrTrx } from '../../db/knex.ts';

export interface AuditEvent {
  id: number;
  actorLabel: string;
  action: string;
  targetType: string;
  targetLabel: string;
  before: unknown;
  after: unknown;
  createdAt: Date;
}

const parse = (s: string | null) => {
  if (s === null) return undefined;
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
};

/** Newest first, a page at a time. */
export async function listAuditEvents(
  db: DbOrTrx,
  organizationId: number,
  page: { limit: number; offset: number },
): Promise<{ events: AuditEvent[]; total: number }> {
  const [rows, total] = await Promise.all([
    db('audit_events').where({ organization_id: organizationId }).orderBy('id', 'desc').limit(page.limit).offset(page.offset),
    db('audit_events').where({ organization_id: organizationId }).count({ n: '*' }).first(),
  ]);
  return {
    total: Number(total?.n ?? 0),
    events: rows.map((r: Record<string, unknown>) => ({
      id: Number(r.id),
      actorLabel: String(r.actor_label),
      action: String(r.action),
      targetType: String(r.target_type),
      targetLabel: String(r.target_label),
      before: parse(r.before_json as string | null),
      after: parse(r.after_json as string | null),
      createdAt: new Date(Number(r.created_at)),
    })),
  };
}
