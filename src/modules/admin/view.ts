import { MAX_SEND_ATTEMPTS } from '../mail/mailer.ts';
import type { OutboxMail } from '../mail/queries.ts';
import { formatCount, utcDates, type Dates } from '../../format.ts';
import type { InvoiceStatus } from '../billing/queries/invoices.ts';
import type { BillingStatus } from '../owners/queries.ts';
import { STATUS_BADGES, STATUS_LABELS } from '../billing/status.ts';

/** Presentation helpers of the back-office templates: badges, durations, safe links. Dates are the reader's (R1.5, `datesFor`). */

/** R10.1: where a recorded email stands, in words for the outbox (SMTP retries, R9.12). */
export function mailDelivery(m: Pick<OutboxMail, 'transport' | 'status' | 'attempts' | 'nextAttemptAt'>, dates: Dates = utcDates): string {
  const tries = (n: number) => `${n} ${n === 1 ? 'attempt' : 'attempts'}`;
  switch (m.status) {
    case 'kept':
      return 'Kept in the outbox';
    case 'sent':
      return m.attempts > 1 ? `Sent by SMTP after ${tries(m.attempts)}` : 'Sent by SMTP';
    case 'queued':
      return m.attempts === 0 || !m.nextAttemptAt
        ? 'Waiting for SMTP'
        : `SMTP failed (attempt ${m.attempts} of ${MAX_SEND_ATTEMPTS}); next try ${dates.dateTime(m.nextAttemptAt)}`;
    case 'pending':
      return 'Being sent by SMTP';
    case 'failed':
      return m.attempts > 0 ? `Failed: SMTP gave up after ${tries(m.attempts)}` : 'Failed';
    default: {
      const never: never = m.status;
      return never;
    }
  }
}

export function statusBadge(status: BillingStatus, deleted = false): { label: string; badge: string } {
  // A deleted organization has no live status: it was deleted, possibly while it owed money.
  if (deleted) return { label: status === 'active' ? 'Deleted' : `Deleted while ${STATUS_LABELS[status]}`, badge: 'badge-muted' };
  return { label: STATUS_LABELS[status], badge: STATUS_BADGES[status] };
}

const INVOICE_LABELS: Record<InvoiceStatus, string> = { open: 'Open', paid: 'Paid', void: 'Void', uncollectible: 'Uncollectible' };
export function invoiceBadge(status: InvoiceStatus): { label: string; badge: string } {
  return { label: INVOICE_LABELS[status], badge: status === 'paid' ? 'badge-success' : status === 'open' ? 'badge-warning' : 'badge-muted' };
}

/** "3 devices", "1 device": a count with its noun. */
export const countOf = (n: number, noun: string) => `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;

/** "3 days 4 hours", "45 minutes"; zero is "none". */
export function describeDuration(ms: number): string {
  if (ms <= 0) return 'none';
  const minutes = Math.floor(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts: string[] = [];
  if (days) parts.push(`${formatCount(days)} day${days === 1 ? '' : 's'}`);
  if (hours) parts.push(`${hours} hour${hours === 1 ? '' : 's'}`);
  if (mins && !days) parts.push(`${mins} minute${mins === 1 ? '' : 's'}`);
  return parts.length ? parts.join(' ') : 'less than a minute';
}

export type TextSegment = { text: string } | { text: string; href: string };

/** What stands in for a redacted token. */
export const REDACTED = '••••';

/** Links whose last path segment is a secret that opens an account or a membership (R1.4, R4.1). */
const TOKEN_LINK = /(\/(?:password\/reset|confirm-email|cancel-email-change|invites)\/)[A-Za-z0-9_-]+/g;

/**
 * R10.1, R11.1: whether the back-office outbox hides the tokens of live
 * links. When mail really goes out (SMTP) or in production, platform staff
 * reading the outbox must not be able to follow a stranger's password reset,
 * email change or invitation. A developer without SMTP follows them there.
 */
export const outboxHidesTokens = (config: { smtpUrl: string | undefined; isProduction: boolean }) => Boolean(config.smtpUrl) || config.isProduction;

/** A mail's text or HTML with every account or invitation token replaced: `…/password/reset/••••`. */
export function redactTokenLinks(text: string): string {
  return text.replace(TOKEN_LINK, `$1${REDACTED}`);
}

const URL_PATTERN = /https?:\/\/[^\s<>"']+/g;

/**
 * A mail's text body as segments, web addresses as links, so the template
 * escapes everything and only http(s) addresses become clickable (R10.1).
 */
export function linkify(text: string): TextSegment[] {
  const out: TextSegment[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_PATTERN)) {
    let url = m[0];
    // Trailing punctuation ends a sentence, not the address.
    while (/[.,;:!?)\]]$/.test(url)) url = url.slice(0, -1);
    const start = m.index ?? 0;
    if (start > last) out.push({ text: text.slice(last, start) });
    // A redacted link leads nowhere: it stays text.
    out.push(url.includes(REDACTED) ? { text: url } : { text: url, href: url });
    last = start + url.length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

export { pageParam } from '../../http/paging.ts';

export const idParam = (value: string): number | null => (/^\d{1,10}$/.test(value) && Number(value) <= 2_147_483_647 ? Number(value) : null);

/** A query string of the non-empty values, for paging links that keep the filters. */
export function queryString(values: Record<string, string | number | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== null && v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** A value for a `datetime-local` field, in UTC. */
export const datetimeLocal = (d: Date) => d.toISOString().slice(0, 16);
