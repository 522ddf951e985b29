import { insertReturningId, type Sql } from '../../../db/sql.ts';

/** R3.4: an Enterprise inquiry's status as the back-office moves it (new, contacted, closed). */
export async function updateEnterpriseInquiryStatus(db: Sql, id: number, status: string): Promise<void> {
  await db.run('UPDATE enterprise_inquiries SET status = ? WHERE id = ?', [status, id]);
}

/** R3.4: a new inquiry, status new; its id. */
export async function insertEnterpriseInquiry(
  db: Sql,
  input: { userId: number; name: string; email: string; company: string; expectedDevices: number | null; message: string; createdAt: Date },
): Promise<number> {
  return insertReturningId(db, 'enterprise_inquiries', {
    user_id: input.userId,
    name: input.name,
    email: input.email,
    company: input.company,
    expected_devices: input.expectedDevices,
    message: input.message,
    status: 'new',
    created_at: input.createdAt.getTime(),
  });
}

export const INQUIRY_STATUSES = ['new', 'contacted', 'closed'] as const;
export type InquiryStatus = (typeof INQUIRY_STATUSES)[number];
export const isInquiryStatus = (v: unknown): v is InquiryStatus => typeof v === 'string' && (INQUIRY_STATUSES as readonly string[]).includes(v);

export interface Inquiry {
  id: number;
  userId: number | null;
  name: string;
  email: string;
  company: string;
  expectedDevices: number | null;
  message: string;
  status: InquiryStatus;
  createdAt: Date;
}

const toInquiry = (r: Record<string, unknown>): Inquiry => ({
  id: Number(r.id),
  userId: r.user_id == null ? null : Number(r.user_id),
  name: String(r.name),
  email: String(r.email),
  company: String(r.company),
  expectedDevices: r.expected_devices == null ? null : Number(r.expected_devices),
  message: String(r.message),
  status: r.status as InquiryStatus,
  createdAt: new Date(Number(r.created_at)),
});

/** One page of the inquiries, newest first (the back-office's list). */
export async function listInquiries(db: Sql, filter: { status: InquiryStatus | null; page: number; pageSize: number }): Promise<{ rows: Inquiry[]; total: number }> {
  const where = filter.status ? { sql: ' WHERE status = ?', bindings: [filter.status] } : { sql: '', bindings: [] };
  const [rows, total] = await Promise.all([
    db.rows<Record<string, unknown>>(`SELECT * FROM enterprise_inquiries${where.sql} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, [
      ...where.bindings,
      filter.pageSize,
      (filter.page - 1) * filter.pageSize,
    ]),
    db.first<{ n: number }>(`SELECT COUNT(*) AS n FROM enterprise_inquiries${where.sql}`, where.bindings),
  ]);
  return { rows: rows.map(toInquiry), total: Number(total?.n ?? 0) };
}

export async function inquiryStatusCounts(db: Sql): Promise<Record<InquiryStatus, number>> {
  const rows = await db.rows<{ status: InquiryStatus; n: number | string }>('SELECT status, COUNT(*) AS n FROM enterprise_inquiries GROUP BY status');
  const counts: Record<InquiryStatus, number> = { new: 0, contacted: 0, closed: 0 };
  for (const r of rows) if (isInquiryStatus(r.status)) counts[r.status] = Number(r.n);
  return counts;
}

export async function findInquiry(db: Sql, id: number): Promise<Inquiry | undefined> {
  const row = await db.first<Record<string, unknown>>('SELECT * FROM enterprise_inquiries WHERE id = ?', [id]);
  return row ? toInquiry(row) : undefined;
}
