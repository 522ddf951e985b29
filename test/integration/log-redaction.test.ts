import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.ts';
import { redactUrl } from '../../src/http/log-redaction.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { newOrg, newUser, signedIn } from '../support/builders.ts';

/**
 * R13.4 (item 10): invitation and share tokens are stored hashed; the
 * request logs of a production server (info level) must not hold them in
 * clear either.
 */

let t: TestContext;
let app: App;
const lines: string[] = [];
beforeAll(async () => {
  t = await startTestApp();
  const logStream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  app = await buildApp({ ...t.deps, config: { ...t.deps.config, logLevel: 'info' } }, { logStream });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await t.close();
});

describe('request logs (item 10)', () => {
  it('hold no invitation token, share token or secret, in the path or in a parameter', async () => {
    const admin = await newUser(t);
    const org = await newOrg(t, { owner: admin, name: 'Logged Org' });
    const agent = await signedIn(t, admin);
    await agent.post(`/orgs/${org.slug}/invitations`, { email: 'logged-invitee@example.com', role: 'viewer' });
    const mail = await t.knex('mail_outbox').where({ to_address: 'logged-invitee@example.com' }).first();
    const inviteToken = /\/invites\/([A-Za-z0-9_-]{43})/.exec(mail.text_body)![1]!;
    const created = await agent.post('/dashboards/new', { owner: 'sandbox', name: 'Logged dashboard', description: '' });
    const dashboardId = String(created.headers.location).split('/').pop()!.split('#')[0]!;
    await agent.post(`/dashboards/${dashboardId}/visibility`, { visibility: 'public' });
    const shareToken = (await t.knex('dashboards').where({ id: dashboardId }).first()).share_token as string;

    const visit = (url: string, method: 'GET' | 'POST' = 'GET') => app.inject({ method, url });
    await visit(`/invites/${inviteToken}`);
    await visit(`/invites/${inviteToken}/accept`, 'POST');
    await visit(`/invites/${inviteToken}/decline`, 'POST');
    await visit(`/login?next=${encodeURIComponent(`/invites/${inviteToken}`)}`);
    await visit(`/signup?next=/invites/${inviteToken}`);
    await visit(`/d/${shareToken}`);
    await visit(`/d/${shareToken}/unlock`, 'POST');
    await visit(`/no-such-page/${shareToken}?token=${inviteToken}`);

    const log = lines.join('');
    expect(log).toContain('incoming request');
    expect(log).toContain('/invites/[redacted]');
    expect(log).toContain('/d/[redacted]');
    expect(log).not.toContain(inviteToken);
    expect(log).not.toContain(shareToken);
  });
});

describe('redactUrl', () => {
  it('keeps what is not secret', () => {
    expect(redactUrl('/orgs/acme/settings/members')).toBe('/orgs/acme/settings/members');
    expect(redactUrl('/admin/organizations?q=acme&page=2')).toBe('/admin/organizations?q=acme&page=2');
    expect(redactUrl('/applications/12/devices/3')).toBe('/applications/12/devices/3');
  });

  it('hides secret segments and parameters', () => {
    expect(redactUrl('/invites/abc/accept')).toBe('/invites/[redacted]/accept');
    expect(redactUrl('/d/abc')).toBe('/d/[redacted]');
    expect(redactUrl('/login?next=%2Finvites%2Fabc')).toBe('/login?next=%2Finvites%2F[redacted]'.replace('[redacted]', encodeURIComponent('[redacted]')));
    expect(redactUrl('/x?token=abc&password=hunter2&session_id=cs_1')).toBe('/x?token=[redacted]&password=[redacted]&session_id=[redacted]');
    expect(redactUrl(`/something/${'a'.repeat(40)}`)).toBe('/something/[redacted]');
  });
});
