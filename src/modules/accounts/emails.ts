import { datesIn } from '../../format.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { User } from './queries.ts';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Plain text and the same paragraphs as HTML; a link paragraph becomes a link. */
function compose(paragraphs: (string | { link: string; label: string })[]) {
  const text = paragraphs.map((p) => (typeof p === 'string' ? p : `${p.label}:\n${p.link}`)).join('\n\n');
  const html = paragraphs.map((p) => (typeof p === 'string' ? `<p>${escapeHtml(p)}</p>` : `<p><a href="${escapeHtml(p.link)}">${escapeHtml(p.label)}</a></p>`)).join('\n');
  return { text, html };
}

/** R1.4: the "Forgot password?" link, in the account owner's time zone (R1.5). */
export function sendPasswordResetEmail(mailer: Mailer, user: User, link: string, expiresAt: Date) {
  return mailer.send({
    to: user.email,
    subject: 'Set a new password for Orgplane',
    kind: 'password_reset',
    ...compose([
      `Hello ${user.name},`,
      'Someone — we hope you — asked to set a new password for your Orgplane account.',
      { label: 'Set a new password', link },
      `The link works once and expires at ${datesIn(user.timeZone).dateTime(expiresAt)}. Setting a new password signs your account out everywhere. If you did not ask for this, ignore this email: your password stays as it is.`,
    ]),
  });
}

/** R1.4: tells the owner their password changed, so a change they did not make does not go unnoticed. */
export function sendPasswordChangedEmail(mailer: Mailer, user: User, at: Date) {
  return mailer.send({
    to: user.email,
    subject: 'Your Orgplane password was changed',
    kind: 'password_changed',
    ...compose([
      `Hello ${user.name},`,
      `The password of your Orgplane account was changed at ${datesIn(user.timeZone).dateTime(at)}, and your other sessions were signed out.`,
      'If this was not you, use "Forgot password?" on the log-in page at once to set a new one.',
    ]),
  });
}

/** R1.4: the link that confirms a new email address goes to that address. */
export function sendEmailChangeConfirmation(mailer: Mailer, user: User, newEmail: string, link: string, expiresAt: Date) {
  return mailer.send({
    to: newEmail,
    subject: 'Confirm your new email address for Orgplane',
    kind: 'email_change',
    ...compose([
      `Hello ${user.name},`,
      `You asked to use ${newEmail} for your Orgplane account instead of ${user.email}. Confirm it to make the change; until then nothing changes.`,
      { label: 'Confirm this email address', link },
      `The link works once and expires at ${datesIn(user.timeZone).dateTime(expiresAt)}. If you did not ask for this, ignore this email.`,
    ]),
  });
}

/** R1.4: the current address hears about a change it is losing, and can cancel it. */
export function sendEmailChangeNotice(mailer: Mailer, user: User, newEmail: string, cancelLink: string) {
  return mailer.send({
    to: user.email,
    subject: 'A new email address was requested for your Orgplane account',
    kind: 'email_change_notice',
    ...compose([
      `Hello ${user.name},`,
      `Someone signed in to your Orgplane account asked to change its email address to ${newEmail}. The change happens only when that address confirms it.`,
      'If this was not you, cancel the change, then change your password: the request needed it. Changing your password also cancels the change.',
      { label: 'Cancel this change', link: cancelLink },
    ]),
  });
}
