import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.ts';
import { redisReachable, testRedisUrl } from '../support/redis.ts';

/**
 * R13.3 (attack e): two app processes on one PostgreSQL database share one
 * limit. Before, each process counted in its own memory, so two instances
 * accepted twice the limit (1,200 in 5 s against 600 a minute) and a restart
 * forgot it. Each process here is a real server (`node src/server.ts`, in
 * production mode) on its own port; the device's reports alternate between
 * them as a load balancer would send them.
 */

const postgres = process.env.TEST_DB === 'postgres';
const PER_MINUTE = 120; // DEVICE_RATE_LIMIT: bursts of 12, then 2 a second
const BURST = 12;
const PORTS = [4131, 4132, 4133, 4134];

let testDb: TestDb;
let url = '';
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (!postgres) return;
  testDb = await createTestDb();
  const schema = testDb.options.schema!;
  url = `${process.env.TEST_DATABASE_URL}${process.env.TEST_DATABASE_URL!.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
});
afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  if (testDb) await testDb.drop();
});

/** A device with a key, made in the database; its id is random so Redis keys of other runs never meet it. */
async function device() {
  const db = testDb.knex;
  const [user] = await db('users').insert({ name: 'Fleet', email: `fleet-${randomBytes(4).toString('hex')}@example.com`, password_hash: 'x', created_at: Date.now() }).returning('id');
  const [app] = await db('applications').insert({ owner_type: 'user', owner_id: user.id, name: 'Fleet', description: '', created_at: Date.now() }).returning('id');
  const deviceId = randomInt(100_000_000, 2_000_000_000);
  await db('devices').insert({ id: deviceId, application_id: app.id, name: 'Shared', created_at: Date.now() });
  const keyId = `ak_${randomBytes(8).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  await db('access_keys').insert({ application_id: app.id, key_id: keyId, secret_hash: createHash('sha256').update(secret).digest('hex'), name: 'k', created_at: Date.now(), revoked_at: null });
  return { appId: app.id as number, deviceId, authorization: `Bearer ${keyId}:${secret}` };
}

async function startServer(port: number, env: Record<string, string> = {}): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PAYMENTS: 'simulated',
      SESSION_SECRET: 'instances-test-secret-that-is-long-enough-0123',
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      SCHEDULER: 'off',
      LOG_LEVEL: 'warn',
      DEVICE_RATE_LIMIT: String(PER_MINUTE),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  // Up to 30 s: a loaded CI machine starts a TypeScript server slowly.
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server on ${port} exited: ${stderr}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server on ${port} did not start: ${stderr}`);
}

/** 200 reports, 20 at a time, alternating between the servers. */
async function flood(ports: number[], d: Awaited<ReturnType<typeof device>>) {
  const started = performance.now();
  const statuses: number[] = [];
  const retryAfter: (string | null)[] = [];
  for (let round = 0; round < 10; round++) {
    const batch = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`http://127.0.0.1:${ports[i % ports.length]}/api/applications/${d.appId}/devices/${d.deviceId}/state`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: d.authorization },
          body: JSON.stringify({ data: { round, i } }),
        }),
      ),
    );
    for (const res of batch) {
      statuses.push(res.status);
      retryAfter.push(res.headers.get('retry-after'));
      await res.arrayBuffer();
    }
  }
  return { statuses, retryAfter, seconds: (performance.now() - started) / 1000 };
}

/** What one shared bucket may let through in that time: the burst, plus the sustained rate (2 a second), plus one for rounding. */
const sharedCeiling = (seconds: number) => BURST + Math.ceil((seconds * PER_MINUTE) / 60) + 1;

describe.runIf(postgres)('two app processes on one PostgreSQL database (attack e)', () => {
  it('share one device limit (the database store), and a restart does not forget it', async () => {
    await Promise.all([startServer(PORTS[0]!), startServer(PORTS[1]!)]);
    const d = await device();
    const { statuses, retryAfter, seconds } = await flood([PORTS[0]!, PORTS[1]!], d);
    const accepted = statuses.filter((s) => s === 202).length;
    expect(statuses.every((s) => s === 202 || s === 429)).toBe(true);
    expect(accepted).toBeGreaterThanOrEqual(BURST);
    // Counted apart, two processes would accept at least two bursts (24).
    expect(accepted).toBeLessThanOrEqual(sharedCeiling(seconds));
    expect(retryAfter.filter((r, i) => statuses[i] === 429).every((r) => r !== null && Number(r) >= 1)).toBe(true);
    // What was accepted is stored; what was refused counts as rejected (R8.1).
    const stored = Number((await testDb.knex('payloads').where({ application_id: d.appId }).count({ n: '*' }).first())?.n);
    expect(stored).toBe(accepted);
    const rejected = (await testDb.knex('usage_counters').where({ application_id: d.appId })).reduce((s, r) => s + Number(r.rejected), 0);
    expect(rejected).toBe(200 - accepted);

    // A restart of both keeps the bucket: counted in memory, a restarted
    // process would take a whole burst again at once.
    const floodEnded = performance.now();
    for (const child of children.splice(0)) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await Promise.all([startServer(PORTS[0]!), startServer(PORTS[1]!)]);
    const restartSeconds = (performance.now() - floodEnded) / 1000;
    const after = await flood([PORTS[0]!, PORTS[1]!], d);
    const acceptedAfter = after.statuses.filter((s) => s === 202).length;
    // What refilled while the servers restarted and during the second flood, and no more.
    expect(acceptedAfter).toBeLessThanOrEqual(Math.min(BURST, Math.ceil((restartSeconds * PER_MINUTE) / 60)) + Math.ceil((after.seconds * PER_MINUTE) / 60) + 1);
  }, 120_000);

  it('share one device limit through Redis when REDIS_URL is set', async () => {
    if (!(await redisReachable())) return;
    for (const child of children.splice(0)) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await Promise.all([startServer(PORTS[2]!, { REDIS_URL: testRedisUrl }), startServer(PORTS[3]!, { REDIS_URL: testRedisUrl })]);
    const d = await device();
    const { statuses, seconds } = await flood([PORTS[2]!, PORTS[3]!], d);
    const accepted = statuses.filter((s) => s === 202).length;
    expect(accepted).toBeGreaterThanOrEqual(BURST);
    expect(accepted).toBeLessThanOrEqual(sharedCeiling(seconds));
    // The database holds no bucket: Redis does.
    expect(await testDb.knex('rate_limits').where('bucket_key', `device:${d.deviceId}`)).toHaveLength(0);
  }, 120_000);
});
