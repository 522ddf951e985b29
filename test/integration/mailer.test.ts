import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { Deps } from '../../src/deps.ts';
import { createMailer, type Mailer } from '../../src/modules/mail/mailer.ts';
import { claimDueMail, findOutboxMail, listOutbox, mailsTo } from '../../src/modules/mail/queries.ts';
import { jobs } from '../../src/scheduler/jobs.ts';
import { runPass } from '../../src/scheduler/registry.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

let t: TestDb;
let clock: ManualClock;

beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t.drop();
});
beforeEach(() => {
  clock = new ManualClock('2026-03-01T09:30:00.000Z');
});

async function outboxCount(): Promise<number> {
  return (await listOutbox(t.db, { limit: 1, offset: 0 })).total;
}

interface Received {
  from: string | undefined;
  to: string[];
  raw: string;
}

/** A real SMTP server on a local port (a free one by default) that keeps what it receives. */
async function startSmtpServer(port = 0): Promise<{ port: number; received: Received[]; stop(): Promise<void> }> {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mailFrom = session.envelope.mailFrom;
        received.push({
          from: mailFrom ? mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('without SMTP_URL: the outbox (R10.1)', () => {
  let mailer: Mailer;
  beforeEach(() => {
    mailer = createMailer({ db: t.db, clock });
  });

  it('keeps the mail in the outbox at the clock time', async () => {
    const sent = await mailer.send({
      to: 'billing@acme.example',
      subject: 'Your receipt',
      text: 'Thanks for your payment.',
      html: '<p>Thanks for your payment.</p>',
      kind: 'receipt',
      organizationId: 42,
    });

    expect(sent).toEqual({ id: expect.any(Number), transport: 'outbox', status: 'kept' });
    expect(await findOutboxMail(t.db, sent.id)).toEqual({
      id: sent.id,
      to: 'billing@acme.example',
      subject: 'Your receipt',
      text: 'Thanks for your payment.',
      html: '<p>Thanks for your payment.</p>',
      kind: 'receipt',
      organizationId: 42,
      transport: 'outbox',
      status: 'kept',
      error: null,
      messageId: null,
      createdAt: new Date('2026-03-01T09:30:00.000Z'),
      sentAt: null,
      attempts: 0,
      nextAttemptAt: null,
    });
  });

  it('records a mail without html or organization as nulls', async () => {
    const sent = await mailer.send({ to: 'bob@example.com', subject: 'Join Acme', text: 'Follow the link.', kind: 'invitation' });
    expect(await findOutboxMail(t.db, sent.id)).toMatchObject({ html: null, organizationId: null });
  });

  it('finds mails by address, oldest first, ignoring case', async () => {
    await mailer.send({ to: 'Carol@Example.com', subject: 'First', text: '1', kind: 'invitation' });
    clock.advance(60_000);
    await mailer.send({ to: 'carol@example.com', subject: 'Second', text: '2', kind: 'receipt' });
    await mailer.send({ to: 'dave@example.com', subject: 'Other', text: '3', kind: 'receipt' });

    const mails = await mailsTo(t.db, 'carol@example.com');
    expect(mails.map((m) => m.subject)).toEqual(['First', 'Second']);
    expect((await mailsTo(t.db, 'CAROL@example.com', { kind: 'receipt' })).map((m) => m.subject)).toEqual(['Second']);
    expect(await mailsTo(t.db, 'nobody@example.com')).toEqual([]);
  });

  it('lists the outbox newest first with the total', async () => {
    clock.set('2030-01-01T00:00:00.000Z');
    await mailer.send({ to: 'erin@example.com', subject: 'Older', text: 'a', kind: 'receipt' });
    clock.advance(1_000);
    await mailer.send({ to: 'erin@example.com', subject: 'Newer', text: 'b', kind: 'receipt' });

    const total = await outboxCount();
    const firstPage = await listOutbox(t.db, { limit: 2, offset: 0 });
    expect(firstPage.total).toBe(total);
    expect(firstPage.mails.map((m) => m.subject)).toEqual(['Newer', 'Older']);
    const secondPage = await listOutbox(t.db, { limit: 1, offset: 1 });
    expect(secondPage.mails.map((m) => m.subject)).toEqual(['Older']);
  });

  it('does not find a mail that does not exist', async () => {
    expect(await findOutboxMail(t.db, 999_999)).toBeUndefined();
  });

  it.each([
    ['an empty address', ''],
    ['a header injection in the address', 'victim@example.com\nBcc: everyone@example.com'],
    ['a carriage return in the address', 'victim@example.com\r'],
    ['two addresses', 'a@example.com, b@example.com'],
    ['a display name', 'Bob <bob@example.com>'],
    ['no domain', 'bob'],
  ])('refuses %s with a TypeError and records nothing', async (_label, to) => {
    const before = await outboxCount();
    await expect(mailer.send({ to, subject: 'Hi', text: 'x', kind: 'invitation' })).rejects.toThrow(TypeError);
    expect(await outboxCount()).toBe(before);
  });

  it('refuses a line break in the subject', async () => {
    const before = await outboxCount();
    await expect(
      mailer.send({ to: 'bob@example.com', subject: 'Hi\r\nBcc: everyone@example.com', text: 'x', kind: 'invitation' }),
    ).rejects.toThrow(TypeError);
    expect(await outboxCount()).toBe(before);
  });

  it('refuses a From header with a line break when created', () => {
    expect(() => createMailer({ db: t.db, clock, from: 'Orgplane <a@b.example>\nBcc: x@y.example' })).toThrow(TypeError);
  });
});

describe('with SMTP_URL: a real SMTP relay (R10.1)', () => {
  it('sends through SMTP and records the mail as sent; once the relay is gone, queues the mail to try again in a minute', async () => {
    const smtp = await startSmtpServer();
    let stopped = false;
    try {
      const mailer = createMailer({ db: t.db, clock, smtpUrl: `smtp://127.0.0.1:${smtp.port}`, smtpTimeoutMs: 2_000 });

      const sent = await mailer.send({
        to: 'frank@example.com',
        subject: 'You are invited to Acme',
        text: 'Follow the link to join Acme.',
        kind: 'invitation',
        organizationId: 7,
      });

      expect(sent).toEqual({ id: expect.any(Number), transport: 'smtp', status: 'sent' });
      expect(smtp.received).toHaveLength(1);
      const [message] = smtp.received;
      expect(message?.to).toEqual(['frank@example.com']);
      expect(message?.from).toBe('no-reply@orgplane.local');
      expect(message?.raw).toMatch(/^Subject: You are invited to Acme\r?$/m);
      expect(message?.raw).toMatch(/^From: Orgplane <no-reply@orgplane\.local>\r?$/m);
      expect(message?.raw).toContain('Follow the link to join Acme.');

      const row = await findOutboxMail(t.db, sent.id);
      expect(row).toMatchObject({
        to: 'frank@example.com',
        kind: 'invitation',
        organizationId: 7,
        transport: 'smtp',
        status: 'sent',
        error: null,
        messageId: expect.stringMatching(/^<.+@.+>$/),
        createdAt: new Date('2026-03-01T09:30:00.000Z'),
        sentAt: new Date('2026-03-01T09:30:00.000Z'),
      });
      expect(message?.raw).toContain(`Message-ID: ${row?.messageId}`);

      await smtp.stop();
      stopped = true;
      clock.advance(5_000);

      const failed = await mailer.send({ to: 'grace@example.com', subject: 'Payment failed', text: 'Update your card.', kind: 'payment_failed' });

      // R10.1, R9.12: not given up; the delivery job tries again after the first backoff (1 minute).
      expect(failed).toEqual({ id: expect.any(Number), transport: 'smtp', status: 'queued' });
      expect(await findOutboxMail(t.db, failed.id)).toMatchObject({
        to: 'grace@example.com',
        transport: 'smtp',
        status: 'queued',
        error: expect.stringMatching(/ECONNREFUSED/),
        messageId: null,
        createdAt: new Date('2026-03-01T09:30:05.000Z'),
        sentAt: null,
        attempts: 1,
        nextAttemptAt: new Date('2026-03-01T09:31:05.000Z'),
      });
    } finally {
      if (!stopped) await smtp.stop();
    }
  });

  it('sends the html alternative and a custom From', async () => {
    const smtp = await startSmtpServer();
    try {
      const mailer = createMailer({
        db: t.db,
        clock,
        smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
        from: 'Acme Billing <billing@acme.example>',
        smtpTimeoutMs: 2_000,
      });
      const sent = await mailer.send({ to: 'heidi@example.com', subject: 'Receipt', text: 'Plain body', html: '<p>Html body</p>', kind: 'receipt' });
      expect(sent.status).toBe('sent');
      const raw = smtp.received[0]?.raw ?? '';
      expect(smtp.received[0]?.from).toBe('billing@acme.example');
      expect(raw).toContain('text/plain');
      expect(raw).toContain('Plain body');
      expect(raw).toContain('text/html');
      expect(raw).toContain('<p>Html body</p>');
    } finally {
      await smtp.stop();
    }
  });

  it('refuses a header injection before connecting and records nothing', async () => {
    const smtp = await startSmtpServer();
    try {
      const mailer = createMailer({ db: t.db, clock, smtpUrl: `smtp://127.0.0.1:${smtp.port}`, smtpTimeoutMs: 2_000 });
      const before = await outboxCount();
      await expect(
        mailer.send({ to: 'victim@example.com\r\nBcc: everyone@example.com', subject: 'Hi', text: 'x', kind: 'invitation' }),
      ).rejects.toThrow(TypeError);
      expect(await outboxCount()).toBe(before);
      expect(smtp.received).toEqual([]);
    } finally {
      await smtp.stop();
    }
  });
});

describe('the outbox written inside a transaction (R9.12)', () => {
  const mail = (to: string) => ({ to, subject: 'Receipt', text: 'Thank you.', kind: 'receipt', organizationId: 9 });

  it('without SMTP: kept with the change, at the instant given; nothing when the change rolls back', async () => {
    const mailer = createMailer({ db: t.db, clock });
    const at = new Date('2026-12-30T07:05:00Z');
    const id = await t.db.transaction((trx) => mailer.enqueue(trx, mail('kept@example.com'), at));
    expect(await findOutboxMail(t.db, id)).toMatchObject({ status: 'kept', transport: 'outbox', createdAt: at });
    await expect(
      t.db.transaction(async (trx) => {
        await mailer.enqueue(trx, mail('rolled-back@example.com'), at);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await mailsTo(t.db, 'rolled-back@example.com')).toEqual([]);
    expect(await mailer.deliverQueued()).toBe(0);
  });

  it('with SMTP: queued with the change and sent once after it, by whichever sender claims it first', async () => {
    const smtp = await startSmtpServer();
    try {
      const a = createMailer({ db: t.db, clock, smtpUrl: `smtp://127.0.0.1:${smtp.port}`, smtpTimeoutMs: 2_000 });
      const b = createMailer({ db: t.db, clock, smtpUrl: `smtp://127.0.0.1:${smtp.port}`, smtpTimeoutMs: 2_000 });
      const id = await t.db.transaction((trx) => a.enqueue(trx, mail('queued@example.com'), clock.now()));
      expect(await findOutboxMail(t.db, id)).toMatchObject({ status: 'queued', transport: 'smtp' });
      expect(smtp.received).toHaveLength(0);
      const sent = await Promise.all([a.deliverQueued(), b.deliverQueued()]);
      expect(sent[0] + sent[1]).toBe(1);
      expect(smtp.received.filter((m) => m.to.includes('queued@example.com'))).toHaveLength(1);
      expect(await findOutboxMail(t.db, id)).toMatchObject({ status: 'sent' });
      expect(await a.deliverQueued()).toBe(0);
    } finally {
      await smtp.stop();
    }
  });
});

/**
 * R9.12, R10.1: a mail SMTP could not take is not lost. It goes back to the
 * queue with a growing delay (1, 5, 15, 60, 240, 720 minutes) and the
 * scheduler's mail job sends it once the relay is back; after 7 failed sends
 * it is given up as failed, with its error, for the back-office. A send the
 * process died in the middle of is sent again after 5 minutes.
 */
describe('when SMTP is down (R9.12, R10.1)', () => {
  const receipt = (to: string) => ({ to, subject: 'Receipt', text: 'We received $250.00', kind: 'receipt', organizationId: 1 });
  const MINUTE = 60_000;

  /** A port nothing listens on (a relay that is down), which a relay can be started on later. */
  async function deadPort(): Promise<number> {
    const probe = await startSmtpServer();
    await probe.stop();
    return probe.port;
  }

  /** One scheduler pass of the mail job alone, at the clock's instant. */
  async function mailJob(mailer: Mailer) {
    const report = await runPass(jobs.filter((j) => j.name === 'mail:deliver-queued'), { mailer } as unknown as Deps, clock.now());
    expect(report.results.map((r) => r.ok)).toEqual([true]);
    return report.results[0]!.summary;
  }

  it('a receipt queued while the relay is briefly down is delivered by the mail job once the relay is back, after its backoff', async () => {
    const port = await deadPort();
    const mailer = createMailer({ db: t.db, clock, smtpUrl: `smtp://127.0.0.1:${port}`, smtpTimeoutMs: 1_000 });
    const id = await t.db.transaction((trx) => mailer.enqueue(trx, receipt('billing@acme.example'), clock.now()));
    // Right after the payment's commit the relay is down.
    expect(await mailer.deliverQueued()).toBe(0);
    expect(await findOutboxMail(t.db, id)).toMatchObject({ status: 'queued', attempts: 1, error: expect.stringMatching(/ECONNREFUSED/), nextAttemptAt: new Date('2026-03-01T09:31:00.000Z') });

    const relay = await startSmtpServer(port);
    try {
      // 30 seconds later the relay is back, but the mail waits for its backoff.
      // (Mails other tests of this file left queued may go out to this relay too; only this one counts.)
      const receipts = () => relay.received.filter((m) => m.to.includes('billing@acme.example'));
      clock.advance(30_000);
      await mailJob(mailer);
      expect(receipts()).toEqual([]);
      clock.set('2026-03-01T09:31:00.000Z');
      expect(await mailJob(mailer)).toMatch(/^[1-9]\d* queued emails sent$/);
      expect(receipts()).toHaveLength(1);
      expect(await findOutboxMail(t.db, id)).toMatchObject({ status: 'sent', attempts: 2, error: null, sentAt: new Date('2026-03-01T09:31:00.000Z') });
      // Sent once: later passes do not send it again.
      clock.advance(10 * MINUTE);
      await mailJob(mailer);
      expect(receipts()).toHaveLength(1);
    } finally {
      await relay.stop();
    }
  });

  it('a direct send that fails is retried the same way', async () => {
    const port = await deadPort();
    const mailer = createMailer({ db: t.db, clock, smtpUrl: `smtp://127.0.0.1:${port}`, smtpTimeoutMs: 1_000 });
    const sent = await mailer.send({ to: 'invitee@example.com', subject: 'Join Acme', text: 'Follow the link.', kind: 'invitation' });
    expect(sent.status).toBe('queued');
    const relay = await startSmtpServer(port);
    try {
      clock.advance(MINUTE);
      await mailJob(mailer);
      expect(relay.received.filter((m) => m.to.includes('invitee@example.com'))).toHaveLength(1);
      expect(await findOutboxMail(t.db, sent.id)).toMatchObject({ status: 'sent', attempts: 2 });
    } finally {
      await relay.stop();
    }
  });

  it('backs off 1, 5, 15, 60, 240 and 720 minutes, then gives up after the 7th send and says so in the outbox', async () => {
    const port = await deadPort();
    const mailer = createMailer({ db: t.db, clock, smtpUrl: `smtp://127.0.0.1:${port}`, smtpTimeoutMs: 1_000 });
    const id = await t.db.transaction((trx) => mailer.enqueue(trx, receipt('never@acme.example'), clock.now()));
    const tries: string[] = [];
    for (let send = 1; send <= 7; send++) {
      await mailer.deliverQueued();
      const row = (await findOutboxMail(t.db, id))!;
      tries.push(`${clock.now().toISOString().slice(11, 16)} #${row.attempts} ${row.status} ${row.nextAttemptAt?.toISOString().slice(11, 16) ?? '-'}`);
      if (!row.nextAttemptAt) break;
      // Not a moment before its time.
      clock.set(new Date(row.nextAttemptAt.getTime() - 1_000));
      expect(await mailer.deliverQueued()).toBe(0);
      clock.set(row.nextAttemptAt);
    }
    // 09:30 first try; then 09:31, 09:36, 09:51, 10:51, 14:51 and 02:51 the next day (+720 min).
    expect(tries).toEqual([
      '09:30 #1 queued 09:31',
      '09:31 #2 queued 09:36',
      '09:36 #3 queued 09:51',
      '09:51 #4 queued 10:51',
      '10:51 #5 queued 14:51',
      '14:51 #6 queued 02:51',
      '02:51 #7 failed -',
    ]);
    expect(await findOutboxMail(t.db, id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/ECONNREFUSED/) });
    clock.advance(24 * 60 * MINUTE);
    expect(await mailer.deliverQueued()).toBe(0);
    expect((await findOutboxMail(t.db, id))!.attempts).toBe(7);
  });

  it('a send the process died in the middle of (claimed, never finished) is sent again after 5 minutes, not before', async () => {
    const relay = await startSmtpServer();
    try {
      const mailer = createMailer({ db: t.db, clock, smtpUrl: `smtp://127.0.0.1:${relay.port}`, smtpTimeoutMs: 2_000 });
      const id = await t.db.transaction((trx) => mailer.enqueue(trx, receipt('lost@acme.example'), clock.now()));
      // The claim commits ('pending'), then the process dies before the relay hears of it.
      expect(await claimDueMail(t.db, id, clock.now(), new Date(clock.now().getTime() + 5 * MINUTE))).toMatchObject({ to: 'lost@acme.example', attempt: 1 });
      // (Mails other tests of this file left queued may go out to this relay too; only this one counts.)
      const lost = () => relay.received.filter((m) => m.to.includes('lost@acme.example'));
      clock.advance(4 * MINUTE);
      await mailJob(mailer);
      expect(lost()).toEqual([]);
      expect(await findOutboxMail(t.db, id)).toMatchObject({ status: 'pending' });
      clock.advance(MINUTE);
      await mailJob(mailer);
      expect(lost()).toHaveLength(1);
      expect(await findOutboxMail(t.db, id)).toMatchObject({ status: 'sent', attempts: 2 });
    } finally {
      await relay.stop();
    }
  });
});
