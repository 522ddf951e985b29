import type { Sql } from '../../../db/sql.ts';

/** R3.4: an Enterprise inquiry's status as the back-office moves it (new, contacted, closed). */
export async function updateEnterpriseInquiryStatus(db: Sql, id: number, status: string): Promise<void> {
  await db.run('UPDATE enterprise_inquiries SET status = ? WHERE id = ?', [status, id]);
}
