import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import { insertEnterpriseInquiry } from './queries/enterprise-inquiries.ts';

/** R3.4: a request to talk to sales about a custom plan; platform staff see it in the back-office. */
export async function submitEnterpriseInquiry(
  db: Sql,
  clock: Clock,
  input: { userId: number; name: string; email: string; company: string; expectedDevices: number | null; message: string },
): Promise<{ id: number }> {
  const id = await insertEnterpriseInquiry(db, { ...input, createdAt: clock.now() });
  return { id };
}
