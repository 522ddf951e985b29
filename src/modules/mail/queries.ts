import { insertReturningId, type Sql } from '../../db/sql.ts';

export type MailTransport = 'outbox' | 'smtp';
/**
 * 'queued': written with the change that causes it, waiting for SMTP (R9.12),
 * or waiting to be tried again after a failed send; 'pending' only while an
 * SMTP send is in flight (or if the process died during one: taken again once
 * `next_attempt_at` has passed); 'failed' once every try failed.
 */
export type MailStatus = 'kept' | 'queued' | 'pending' | 'sent' | 'failed';

/** One recorded email (R10.1), as the back-office and tests read it. */
export interface OutboxMail {
  id: number;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  kind: string;
  organizationId: number | null;
  transport: MailTransport;
  status: MailStatus;
  error: string | null;
  messageId: string | null;
  createdAt: Date;
  sentAt: Date | null;
  /** SMTP sends tried so far. */
  attempts: number;
  /** When the delivery job may take it (again); null when it waits for nothing. */
  nextAttemptAt: Date | null;
}

interface OutboxRow {
  id: number;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  kind: string;
  organization_id: number | null;
  transport: MailTransport;
  status: MailStatus;
  error: string | null;
  message_id: string | null;
  created_at: number;
  sent_at: number | null;
  attempts: number;
  next_attempt_at: number | null;
}

const toOutboxMail = (r: OutboxRow): OutboxMail => ({
  id: r.id,
  to: r.to_address,
  subject: r.subject,
  text: r.text_body,
  html: r.html_body,
  kind: r.kind,
  organizationId: r.organization_id,
  transport: r.transport,
  status: r.status,
  error: r.error,
  messageId: r.message_id,
  createdAt: new Date(Number(r.created_at)),
  sentAt: r.sent_at === null ? null : new Date(Number(r.sent_at)),
  attempts: Number(r.attempts),
  nextAttemptAt: r.next_attempt_at === null ? null : new Date(Number(r.next_attempt_at)),
});

/** Newest first, with the total for paging. */
export async function listOutbox(
  db: Sql,
  page: { limit: number; offset: number },
): Promise<{ mails: OutboxMail[]; total: number }> {
  const rows = await db.rows<OutboxRow>('SELECT * FROM mail_outbox ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?', [page.limit, page.offset]);
  const counted = await db.first<{ n: number }>('SELECT COUNT(*) AS n FROM mail_outbox');
  return { mails: rows.map(toOutboxMail), total: Number(counted?.n ?? 0) };
}

export async function findOutboxMail(db: Sql, id: number): Promise<OutboxMail | undefined> {
  const row = await db.first<OutboxRow>('SELECT * FROM mail_outbox WHERE id = ?', [id]);
  return row ? toOutboxMail(row) : undefined;
}

/**
 * Every mail recorded for an address, in the order they were sent (oldest
 * first, so `.at(-1)` is the latest). The address matches case-insensitively,
 * as account emails do.
 */
export async function mailsTo(db: Sql, address: string, filter: { kind?: string } = {}): Promise<OutboxMail[]> {
  const rows =
    filter.kind === undefined
      ? await db.rows<OutboxRow>('SELECT * FROM mail_outbox WHERE lower(to_address) = ? ORDER BY id', [address.toLowerCase()])
      : await db.rows<OutboxRow>('SELECT * FROM mail_outbox WHERE lower(to_address) = ? AND kind = ? ORDER BY id', [address.toLowerCase(), filter.kind]);
  return rows.map(toOutboxMail);
}

export interface NewOutboxRow {
  to: string;
  subject: string;
  text: string;
  html: string | null;
  kind: string;
  organizationId: number | null;
  transport: MailTransport;
  status: 'kept' | 'queued' | 'pending';
  createdAt: Date;
  /** A send begun at once ('pending'): it is the first attempt, lost if not finished by `nextAttemptAt`. */
  attempts?: number;
  nextAttemptAt?: Date;
}

export async function insertOutboxMail(db: Sql, mail: NewOutboxRow): Promise<number> {
  return insertReturningId(db, 'mail_outbox', {
    to_address: mail.to,
    subject: mail.subject,
    text_body: mail.text,
    html_body: mail.html,
    kind: mail.kind,
    organization_id: mail.organizationId,
    transport: mail.transport,
    status: mail.status,
    created_at: mail.createdAt.getTime(),
    attempts: mail.attempts ?? 0,
    next_attempt_at: mail.nextAttemptAt?.getTime() ?? null,
  });
}

export async function markOutboxMailSent(db: Sql, id: number, sent: { messageId: string | null; sentAt: Date }) {
  await db.run("UPDATE mail_outbox SET status = 'sent', message_id = ?, sent_at = ?, error = NULL WHERE id = ?", [sent.messageId, sent.sentAt.getTime(), id]);
}

/** Gives up on a mail: every try failed (R10.1: it stays recorded, with its error, for the back-office). */
export async function markOutboxMailFailed(db: Sql, id: number, error: string) {
  await db.run("UPDATE mail_outbox SET status = 'failed', error = ?, next_attempt_at = NULL WHERE id = ?", [error, id]);
}

/** A send failed: the mail waits for the delivery job to try again at `nextAttemptAt`. */
export async function requeueOutboxMail(db: Sql, id: number, retry: { error: string; nextAttemptAt: Date }) {
  await db.run("UPDATE mail_outbox SET status = 'queued', error = ?, next_attempt_at = ? WHERE id = ?", [retry.error, retry.nextAttemptAt.getTime(), id]);
}

/**
 * Mails the delivery job should send now, oldest first (a bounded batch):
 * queued ones whose time has come, and pending ones whose send was lost (the
 * process died mid-send; a rare resend is better than a lost mail).
 */
export async function dueMailIds(db: Sql, now: Date, limit = 200): Promise<number[]> {
  const rows = await db.rows<{ id: number }>(
    `SELECT id FROM mail_outbox WHERE status IN ('queued', 'pending') AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?`,
    [now.getTime(), limit],
  );
  return rows.map((r) => Number(r.id));
}

export interface ClaimedMail {
  to: string;
  subject: string;
  text: string;
  html: string | null;
  /** This send's number, the first being 1. */
  attempt: number;
}

/**
 * Takes a due mail for sending ('pending', one more attempt, lost if not
 * finished by `lostAfter`); null when another sender took it first.
 */
export async function claimDueMail(db: Sql, id: number, now: Date, lostAfter: Date): Promise<ClaimedMail | null> {
  const sql = db;
  const claimed = await sql.run(
    `UPDATE mail_outbox SET status = 'pending', attempts = attempts + 1, next_attempt_at = ?
     WHERE id = ? AND status IN ('queued', 'pending') AND (next_attempt_at IS NULL OR next_attempt_at <= ?)`,
    [lostAfter.getTime(), id, now.getTime()],
  );
  if (claimed !== 1) return null;
  const row = await sql.first<OutboxRow>('SELECT * FROM mail_outbox WHERE id = ?', [id]);
  return row ? { to: row.to_address, subject: row.subject, text: row.text_body, html: row.html_body, attempt: Number(row.attempts) } : null;
}
