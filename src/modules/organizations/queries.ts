import type { DbOrTrx } from '../../db/knex.ts';

/** R3.4: an Enterprise inquiry's status as the back-office moves it (new, contacted, closed). */
export async function updateEnterpriseInquiryStatus(db: DbOrTrx, id: number, status: string): Promise<void> {
  await db('enterprise_inquiries').where({ id }).update({ status });
}
