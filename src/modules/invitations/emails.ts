import { utcDates } from '../../format.ts';
import type { Mailer } from '../mail/mailer.ts';
import { ROLE_LABELS, type Role } from '../tenancy/policy.ts';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** R4.1, R10.1: the invitation email carries the link and the inviter's name. */
export async function sendInvitationEmail(
  mailer: Mailer,
  input: { to: string; organizationId: number; organizationName: string; inviterName: string; inviterEmail: string; role: Role; link: string; expiresAt: Date },
) {
  const role = ROLE_LABELS[input.role];
  const text = [
    `${input.inviterName} (${input.inviterEmail}) invited you to join ${input.organizationName} on Orgplane as ${role}.`,
    '',
    `Accept or decline the invitation here:`,
    input.link,
    '',
    `The link works once and expires on ${utcDates.dateTime(input.expiresAt)}. If you were not expecting this invitation, you can ignore this email.`,
  ].join('\n');
  const html = `<p>${escapeHtml(input.inviterName)} (${escapeHtml(input.inviterEmail)}) invited you to join <strong>${escapeHtml(input.organizationName)}</strong> on Orgplane as ${role}.</p>
<p><a href="${escapeHtml(input.link)}">Accept or decline the invitation</a></p>
<p>The link works once and expires on ${escapeHtml(utcDates.dateTime(input.expiresAt))}. If you were not expecting this invitation, you can ignore this email.</p>`;
  return mailer.send({
    to: input.to,
    subject: `${input.inviterName} invited you to join ${input.organizationName} on Orgplane`,
    text,
    html,
    kind: 'invitation',
    organizationId: input.organizationId,
  });
}
