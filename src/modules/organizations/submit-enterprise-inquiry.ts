import type { Clock } from '../../clock.ts';
import { insertReturningId, type Sql } from '../../db/sql.ts';

/** R3.4: a request to talk to sales about a custom plan; platform staff see it in the back-office. */
export async function submitEnterpriseInquiry(
  db: Sql,
  clock: Clock,
  input: { userId: number; name: string; email: string; company: string; expectedDevices: number | null; message: string },
): Promise<{ id: number }> {
  const id = await insertReturningId(db, 'enterprise_inquiries', {
      user_id: input.userId,
      name: input.name,
      email: input.email,
      company: input.company,
      expected_devices: input.expectedDevices,
      message: input.message,
      status: 'new',
      created_at: clock.now().getTime(),
    });
  return { id };
}
