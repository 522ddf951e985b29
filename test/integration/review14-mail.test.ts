import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createMailer } from '../../src/modules/mail/mailer.ts';
import { findOutboxMail } from '../../src/modules/mail/queries.ts';
import { jobs } from '../../src/scheduler/jobs.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t.drop();
});

async function smtpOn(port: number) {
  const received: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, cb) {
      stream.on('data', () => {});
      stream.on('end', () => {
        received.push(session.envelope.rcptTo.map((r) => r.address).join(','));
        cb();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { port: (server.server.address() as AddressInfo).port, received, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

it('a receipt queued while the relay is briefly down is delivered by the mail job once the relay is back (R9.12)', async () => {
  const probe = await smtpOn(0);
  const port = probe.port;
  await probe.stop();
  const clock = new ManualClock('2026-03-01T09:30:00.000Z');
  const mailer = createMailer({ db: t.db, clock, smtpUrl: `smtp://127.0.0.1:${port}`, smtpTimeoutMs: 1_000 });
  const id = await t.db.transaction((trx) => mailer.enqueue(trx, { to: 'billing@acme.example', subject: 'Receipt', text: 'We received $250.00', kind: 'receipt', organizationId: 1 }, clock.now()));
  // deliverOutbox right after the payment's commit: the relay is down.
  await mailer.deliverQueued();
  // The relay comes back; the scheduler's mail job runs.
  const relay = await smtpOn(port);
  try {
    const job = jobs.find((j) => j.name === 'mail:deliver-queued')!;
    await job.run({ mailer } as never, clock.now());
    expect(relay.received).toEqual(['billing@acme.example']);
    expect(await findOutboxMail(t.db, id)).toMatchObject({ status: 'sent' });
  } finally {
    await relay.stop();
  }
});
