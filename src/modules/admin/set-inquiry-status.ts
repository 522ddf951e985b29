import type { Deps } from '../../deps.ts';
import type { User } from '../accounts/queries.ts';
import { userActor } from '../audit/record.ts';
import { updateEnterpriseInquiryStatus } from '../organizations/queries/enterprise-inquiries.ts';
import { recordAdminEvent } from './events.ts';
import { INQUIRY_STATUS_LABELS } from './lists.ts';
import { findInquiry, type Inquiry, type InquiryStatus } from '../organizations/queries/enterprise-inquiries.ts';

export type SetInquiryStatusResult = { ok: true; inquiry: Inquiry; changed: boolean } | { ok: false; reason: 'not_found' };

/** R3.4, §11: moves an Enterprise inquiry between new, contacted and closed; logged in admin_events. */
export async function setInquiryStatus(
  deps: Pick<Deps, 'db' | 'clock'>,
  input: { admin: User; inquiryId: number; status: InquiryStatus },
): Promise<SetInquiryStatusResult> {
  const { db, clock } = deps;
  return db.transaction(async (trx) => {
    const inquiry = await findInquiry(trx, input.inquiryId);
    if (!inquiry) return { ok: false, reason: 'not_found' } as const;
    if (inquiry.status === input.status) return { ok: true, inquiry, changed: false } as const;
    await updateEnterpriseInquiryStatus(trx, inquiry.id, input.status);
    await recordAdminEvent(trx, {
      actor: userActor(input.admin),
      action: 'inquiry.status_changed',
      target: { type: 'inquiry', id: inquiry.id, label: `${inquiry.company} (${inquiry.email})` },
      before: { status: INQUIRY_STATUS_LABELS[inquiry.status] },
      after: { status: INQUIRY_STATUS_LABELS[input.status] },
      at: clock.now(),
    });
    return { ok: true, inquiry: { ...inquiry, status: input.status }, changed: true } as const;
  });
}
