import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import { claimDueMail, dueMailIds, insertOutboxMail, markOutboxMailFailed, markOutboxMailSent, requeueOutboxMail } from './queries.ts';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** What the mail is about, e.g. 'invitation', 'receipt', 'payment_failed'. */
  kind: string;
  organizationId?: number | null;
}

export interface SentMail {
  id: number;
  transport: 'outbox' | 'smtp';
  /** 'queued': SMTP refused or could not be reached; the delivery job tries again later. 'failed': it gave up. */
  status: 'kept' | 'sent' | 'queued' | 'failed';
}

/**
 * Sends (or keeps) one email and records it in mail_outbox (R10.1).
 *
 * A mail that SMTP refused or could not reach resolves with status 'queued'
 * rather than throwing: it is tried again by the scheduler's delivery job,
 * with a growing delay (RETRY_DELAYS_MS), and marked 'failed' — visible in the
 * back-office outbox with its error — once MAX_SEND_ATTEMPTS sends failed. A
 * mail is a side effect of a business change that has already happened, so
 * the caller decides whether a failure matters. Only a programmer error (an
 * address that is not one plausible address, a header with a line break)
 * throws, as a TypeError, before anything is recorded.
 *
 * Send after the business transaction commits: the mailer writes through its
 * own connection (on SQLite, the only one), and a rolled-back change should
 * not have mailed anybody.
 */
export interface Mailer {
  send(mail: OutgoingMail): Promise<SentMail>;
  /**
   * R9.12 (the outbox): records the mail inside the caller's transaction, at
   * `at`, so it exists exactly when the change that causes it commits — a
   * crash can neither lose it nor send it for a change that rolled back.
   * Without SMTP that is all ('kept'); with SMTP it is 'queued' and
   * `deliverQueued` sends it after the commit (and the scheduler's mail job
   * sends any a crash left queued). Answers the row's id.
   */
  enqueue(trx: Sql, mail: OutgoingMail, at: Date): Promise<number>;
  /**
   * Sends the mails that are due: queued ones (after their backoff, if a send
   * failed) and pending ones whose send was lost. Each is claimed first, so
   * two instances never send one at once. Answers how many were sent.
   */
  deliverQueued(): Promise<number>;
}

export interface MailerOptions {
  db: Sql;
  clock: Clock;
  /** smtp:// or smtps:// URL; without it mail is only kept in the outbox. */
  smtpUrl?: string | undefined;
  /** From header; defaults to DEFAULT_FROM. */
  from?: string | undefined;
  /**
   * How long to wait for an SMTP connection, its greeting, or any reply, so a
   * dead relay fails the send promptly instead of after nodemailer's minutes.
   * Query parameters on the URL (`?socketTimeout=…`) take precedence.
   */
  smtpTimeoutMs?: number;
}

export const DEFAULT_FROM = 'Orgplane <no-reply@orgplane.local>';
const DEFAULT_SMTP_TIMEOUT_MS = 10_000;

const MINUTE = 60_000;
/** How long after the n-th failed send the next one is tried: a relay down for a moment, then for hours. */
export const RETRY_DELAYS_MS = [1, 5, 15, 60, 240, 720].map((m) => m * MINUTE);
/** The first send and one per delay: about 17 hours of trying before a mail is given up as failed. */
export const MAX_SEND_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/**
 * A send still 'pending' this long after it began was lost (the process died
 * mid-send): the delivery job sends it again. The SMTP timeouts end a live
 * send well before.
 */
export const LOST_SEND_MS = 5 * MINUTE;

export function createMailer(opts: MailerOptions): Mailer {
  const from = opts.from ?? DEFAULT_FROM;
  assertHeaderValue('from', from);
  return opts.smtpUrl ? smtpMailer(opts, opts.smtpUrl, from) : outboxMailer(opts);
}

function outboxMailer({ db, clock }: MailerOptions): Mailer {
  return {
    async send(mail) {
      assertValidMail(mail);
      const id = await insertOutboxMail(db, { ...recordOf(mail), transport: 'outbox', status: 'kept', createdAt: clock.now() });
      return { id, transport: 'outbox', status: 'kept' };
    },
    async enqueue(trx, mail, at) {
      assertValidMail(mail);
      return insertOutboxMail(trx, { ...recordOf(mail), transport: 'outbox', status: 'kept', createdAt: at });
    },
    async deliverQueued() {
      return 0;
    },
  };
}

function smtpMailer({ db, clock, smtpTimeoutMs }: MailerOptions, smtpUrl: string, from: string): Mailer {
  const timeout = smtpTimeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
  // nodemailer is loaded with the first mail sent, not at start: it is about
  // 8 MiB of the server's resident memory, and without SMTP_URL it
  // is never needed. An SMTP_URL that does not parse still fails at start, as
  // it did when the transport was made here.
  new URL(smtpUrl);
  let transporter: ReturnType<typeof createSmtpTransport> | undefined;

  /** Sends the recorded row `id` (status 'pending', its `attempt`-th send) and records the outcome. */
  async function deliver(id: number, mail: { to: string; subject: string; text: string; html: string | null; attempt: number }): Promise<SentMail> {
    let messageId: string | null;
    try {
      // A failed load is not kept: the next mail tries again.
      transporter ??= createSmtpTransport(smtpUrl, timeout).catch((err: unknown) => {
        transporter = undefined;
        throw err;
      });
      const info = await (await transporter).sendMail({
        from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        ...(mail.html !== null ? { html: mail.html } : {}),
      });
      messageId = info.messageId || null;
    } catch (err) {
      const error = errorMessage(err);
      if (mail.attempt >= MAX_SEND_ATTEMPTS) {
        await markOutboxMailFailed(db, id, error);
        return { id, transport: 'smtp', status: 'failed' };
      }
      await requeueOutboxMail(db, id, { error, nextAttemptAt: new Date(clock.now().getTime() + RETRY_DELAYS_MS[mail.attempt - 1]!) });
      return { id, transport: 'smtp', status: 'queued' };
    }
    await markOutboxMailSent(db, id, { messageId, sentAt: clock.now() });
    return { id, transport: 'smtp', status: 'sent' };
  }

  return {
    async send(mail) {
      assertValidMail(mail);
      // Recorded before the relay is called, so a crash mid-send still leaves
      // a trace ('pending') of a mail that may or may not have gone out.
      const record = recordOf(mail);
      const now = clock.now();
      const id = await insertOutboxMail(db, { ...record, transport: 'smtp', status: 'pending', createdAt: now, attempts: 1, nextAttemptAt: new Date(now.getTime() + LOST_SEND_MS) });
      return deliver(id, { ...record, attempt: 1 });
    },
    async enqueue(trx, mail, at) {
      assertValidMail(mail);
      return insertOutboxMail(trx, { ...recordOf(mail), transport: 'smtp', status: 'queued', createdAt: at });
    },
    async deliverQueued() {
      // The relay lives in real time: retries and lost sends are timed by the mailer's clock, not a pass's instant.
      let sent = 0;
      for (const id of await dueMailIds(db, clock.now())) {
        const now = clock.now();
        const claimed = await claimDueMail(db, id, now, new Date(now.getTime() + LOST_SEND_MS));
        if (!claimed) continue; // another instance took it
        if ((await deliver(id, claimed)).status === 'sent') sent++;
      }
      return sent;
    },
  };
}

async function createSmtpTransport(smtpUrl: string, timeout: number) {
  const { default: nodemailer } = await import('nodemailer');
  return nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
}

const recordOf = (mail: OutgoingMail) => ({
  to: mail.to,
  subject: mail.subject,
  text: mail.text,
  html: mail.html ?? null,
  kind: mail.kind,
  organizationId: mail.organizationId ?? null,
});

// One bare address: no display name, no list, no whitespace or control
// characters (a line break in a header is how headers get injected).
const PLAUSIBLE_ADDRESS = /^[^\s\p{Cc}@<>()[\]\\,;:"]+@[^\s\p{Cc}@<>()[\]\\,;:"]+$/u;
const MAX_ADDRESS_LENGTH = 320;
const MAX_KIND_LENGTH = 64;

function assertValidMail(mail: OutgoingMail): void {
  if (typeof mail.to !== 'string' || mail.to.length > MAX_ADDRESS_LENGTH || !PLAUSIBLE_ADDRESS.test(mail.to)) {
    throw new TypeError(`mail: "to" must be one email address, got ${JSON.stringify(mail.to)}`);
  }
  assertHeaderValue('subject', mail.subject);
  if (typeof mail.text !== 'string') throw new TypeError('mail: "text" must be a string');
  if (mail.html !== undefined && typeof mail.html !== 'string') throw new TypeError('mail: "html" must be a string');
  if (typeof mail.kind !== 'string' || mail.kind === '' || mail.kind.length > MAX_KIND_LENGTH) {
    throw new TypeError(`mail: "kind" must be a short non-empty string, got ${JSON.stringify(mail.kind)}`);
  }
}

function assertHeaderValue(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '' || /[\r\n]/.test(value)) {
    throw new TypeError(`mail: "${name}" must be a non-empty single line, got ${JSON.stringify(value)}`);
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
