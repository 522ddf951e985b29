import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createMailer, type Mailer } from '../../src/modules/mail/mailer.ts';
import { findOutboxMail, listOutbox, mailsTo } from '../../src/modules/mail/queries.ts';
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

/** A real SMTP server on a free local port that keeps what it receives. */
async function startSmtpServer(): Promise<{ port: number; received: Received[]; stop(): Promise<void> }> {
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
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
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
  it('sends through SMTP and records the mail as sent, then records a failure once the relay is gone', async () => {
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

      expect(failed).toEqual({ id: expect.any(Number), transport: 'smtp', status: 'failed' });
      expect(await findOutboxMail(t.db, failed.id)).toMatchObject({
        to: 'grace@example.com',
        transport: 'smtp',
        status: 'failed',
        error: expect.stringMatching(/ECONNREFUSED/),
        messageId: null,
        createdAt: new Date('2026-03-01T09:30:05.000Z'),
        sentAt: null,
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

  it('with SMTP down: the delivery fails and is recorded as failed with its error, as a direct send is', async () => {
    const smtp = await startSmtpServer();
    const port = smtp.port;
    await smtp.stop();
    const mailer = createMailer({ db: t.db, clock, smtpUrl: `smtp://127.0.0.1:${port}`, smtpTimeoutMs: 1_000 });
    const id = await t.db.transaction((trx) => mailer.enqueue(trx, mail('later@example.com'), clock.now()));
    expect(await mailer.deliverQueued()).toBe(0);
    expect(await findOutboxMail(t.db, id)).toMatchObject({ status: 'failed', error: expect.any(String) });
  });
});
