import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/knex.ts';
import { insertOutboxMail, markOutboxMailFailed, markOutboxMailSent } from './queries.ts';

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
  status: 'kept' | 'sent' | 'failed';
}

/**
 * Sends (or keeps) one email and records it in mail_outbox (R10.1).
 *
 * A mail that SMTP refused or could not reach resolves with status 'failed'
 * rather than throwing: a mail is a side effect of a business change that has
 * already happened, so the caller decides whether a failure matters. Only a
 * programmer error (an address that is not one plausible address, a header
 * with a line break) throws, as a TypeError, before anything is recorded.
 *
 * Send after the business transaction commits: the mailer writes through its
 * own connection (on SQLite, the only one), and a rolled-back change should
 * not have mailed anybody.
 */
export interface Mailer {
  send(mail: OutgoingMail): Promise<SentMail>;
}

export interface MailerOptions {
  db: Db;
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
  };
}

function smtpMailer({ db, clock, smtpTimeoutMs }: MailerOptions, smtpUrl: string, from: string): Mailer {
  const timeout = smtpTimeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
  // nodemailer is loaded with the first mail sent, not at start: it is about
  // 8 MiB of the server's resident memory (issue #9), and without SMTP_URL it
  // is never needed. An SMTP_URL that does not parse still fails at start, as
  // it did when the transport was made here.
  new URL(smtpUrl);
  let transporter: ReturnType<typeof createSmtpTransport> | undefined;
  return {
    async send(mail) {
      assertValidMail(mail);
      // Recorded before the relay is called, so a crash mid-send still leaves
      // a trace ('pending') of a mail that may or may not have gone out.
      const id = await insertOutboxMail(db, { ...recordOf(mail), transport: 'smtp', status: 'pending', createdAt: clock.now() });
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
          ...(mail.html !== undefined ? { html: mail.html } : {}),
        });
        messageId = info.messageId || null;
      } catch (err) {
        await markOutboxMailFailed(db, id, errorMessage(err));
        return { id, transport: 'smtp', status: 'failed' };
      }
      await markOutboxMailSent(db, id, { messageId, sentAt: clock.now() });
      return { id, transport: 'smtp', status: 'sent' };
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
