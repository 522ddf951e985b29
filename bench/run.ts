import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ManualClock } from '../src/clock.ts';
import { benchConfig } from './config.ts';
import { SimulatedGateway } from '../src/modules/billing/gateway/simulated.ts';
import { renewalPass } from '../src/modules/billing/renew.ts';
import { createMailer } from '../src/modules/mail/mailer.ts';
import { benchDir, createBenchDatabase, type BenchDatabase, type Dialect } from './databases.ts';
import { check, logIn, measure, measurePair, type LoadOptions, type LoadResult } from './load.ts';
import { procMemory, startApp, startHello, usePortRange, type RunningServer } from './processes.ts';
import { copyUsageCounters, seedBigOrganization, seedDueOrganizations } from './seed.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    db: { type: 'string', default: 'sqlite' },
    /** A comma-separated subset of A,B,C,D,E (a development aid; the default runs all). */
    only: { type: 'string' },
    /** Write a CPU profile of the 5M server (node --cpu-prof) to data/bench/profiles. */
    profile: { type: 'boolean', default: false },
    /** Keep the seeded databases afterwards. */
    keep: { type: 'boolean', default: false },
    /** The loopback ports the servers may use, FROM-TO (default: any free port). */
    ports: { type: 'string', default: process.env.BENCH_PORTS },
  },
});
usePortRange(args.ports);
const dialect = args.db as Dialect;
if (dialect !== 'sqlite' && dialect !== 'postgres') throw new Error(`--db must be sqlite or postgres, not ${args.db}`);
const quick = args.quick!;
const only = new Set((args.only ?? 'A,B,C,D,E').split(',').map((s) => s.trim().toUpperCase()));

const sizes = quick
  ? { payloads: 500_000, dueLarge: 1_000, dueSmall: 100, seconds: 5, warmup: 1 }
  : { payloads: 5_000_000, dueLarge: 10_000, dueSmall: 1_000, seconds: 10, warmup: 3 };
const CONNECTIONS = 50;
const BENCH_DEVICES = 1_000;
const STATES_PER_REQUEST = 100;

// The performance goals (each HTTP figure against bare Fastify in the same run).
const targets = {
  /** A: server CPU a request, and p99 latency, of the signed-in overview. */
  A_cpu_ms: 1.0,
  A_p99_ms: 100,
  /** B: the usage page's server CPU a request, and its 5M / 0 payloads latency ratio. */
  B_cpu_ms: 1.5,
  B_ratio: 1.2,
  C_ratio: 0.15,
  D_payloads_per_s: dialect === 'postgres' ? 50_000 : 80_000,
  /** PostgreSQL: C against SQLite's C measured in the same run. */
  C_postgres_vs_sqlite: 0.5,
  E_seconds: 10,
  E_growth: 11,
  F_mib: 250,
};

/** C or D on two app processes at once (PostgreSQL), each with half the connections: the sum, and each process's own figures. */
interface TwoProcesses {
  rps: number;
  serverCpuMs: number;
  p99Ms: number;
  processes: LoadResult[];
}

const log = (line: string) => console.log(line);
const cpuNote = (r: { serverCpuMs?: number }) => (r.serverCpuMs === undefined ? '' : `; server CPU ${r.serverCpuMs.toFixed(3)} ms a request`);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const started = performance.now();
const machine = {
  date: new Date().toString(),
  nproc: Number(safe(() => execSync('nproc').toString().trim()) ?? cpus().length),
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  node: process.version,
};

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

const cleanup: (() => Promise<void>)[] = [];
async function runCleanup() {
  while (cleanup.length) await cleanup.pop()!().catch((err) => console.error('cleanup:', err));
}
process.on('SIGINT', () => void runCleanup().then(() => process.exit(130)));

async function withDb<T>(database: BenchDatabase, f: (db: ReturnType<BenchDatabase['open']>) => Promise<T>): Promise<T> {
  const db = database.open();
  try {
    return await f(db);
  } finally {
    await db.close();
  }
}

async function main() {
  log(`npm run bench${quick ? ' --quick' : ''} on ${dialect}: ${machine.nproc} CPUs (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}`);
  const results: Record<string, unknown> = { mode: quick ? 'quick' : 'full', dialect, machine, sizes, connections: CONNECTIONS, targets };
  const now = new Date();

  // ---- seed ---------------------------------------------------------------
  const pages = only.has('A') || only.has('B') || only.has('C') || only.has('D');
  let big: BenchDatabase | undefined;
  let zero: BenchDatabase | undefined;
  let bigOrg: Awaited<ReturnType<typeof seedBigOrganization>> | undefined;
  let zeroOrg: typeof bigOrg;
  if (pages) {
    log(`Seeding the organization with ${fmt(sizes.payloads)} stored payloads…`);
    big = await createBenchDatabase(dialect, 'pages-payloads');
    if (!args.keep) cleanup.push(big.drop);
    bigOrg = await withDb(big, (db) => seedBigOrganization(db, { payloads: sizes.payloads, now, benchDevices: BENCH_DEVICES, log }));
    log(`  done in ${fmt(bigOrg.seconds, 1)} s`);
    if (only.has('B')) {
      log('Seeding the same organization with the same usage and 0 stored payloads…');
      zero = await createBenchDatabase(dialect, 'pages-empty');
      if (!args.keep) cleanup.push(zero.drop);
      zeroOrg = await withDb(zero, (db) => seedBigOrganization(db, { payloads: 0, now, benchDevices: BENCH_DEVICES, log }));
      // The same usage this period, nothing stored (as after retention): only what is stored differs.
      await withDb(big, (from) => withDb(zero!, (to) => copyUsageCounters(from, bigOrg!.organizationId, to, zeroOrg!.organizationId)));
      log(`  done in ${fmt(zeroOrg.seconds, 1)} s`);
    }
  }
  const due: { size: number; database: BenchDatabase; at: Date }[] = [];
  if (only.has('E')) {
    for (const size of [sizes.dueSmall, sizes.dueLarge]) {
      log(`Seeding ${fmt(size)} organizations due for renewal…`);
      const database = await createBenchDatabase(dialect, `renewals-${size}`);
      if (!args.keep) cleanup.push(database.drop);
      const seeded = await withDb(database, (db) => seedDueOrganizations(db, size));
      log(`  done in ${fmt(seeded.seconds, 1)} s`);
      due.push({ size, database, at: seeded.at });
    }
  }

  // ---- A–D over HTTP --------------------------------------------------------
  if (pages && big && bigOrg) {
    const servers: RunningServer[] = [];
    const stopAll = async () => {
      for (const s of servers.splice(0)) await s.stop();
    };
    cleanup.push(stopAll);
    const hello = await startHello();
    servers.push(hello);
    const profileDir = join(benchDir, 'profiles');
    if (args.profile) mkdirSync(profileDir, { recursive: true });
    const app = await startApp('app', big.env, args.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []);
    servers.push(app);
    const load = { connections: CONNECTIONS, seconds: sizes.seconds, warmupSeconds: sizes.warmup };
    // Resident memory of the server after each step, to tell where the peak comes from.
    const rss: Record<string, number> = { started: procMemory(app.pid, 'VmRSS') / 2 ** 20 };
    const noteRss = (step: string) => (rss[step] = procMemory(app.pid, 'VmRSS') / 2 ** 20);

    log(`Measuring with autocannon, ${CONNECTIONS} connections, ${sizes.seconds} s runs after ${sizes.warmup} s warm-ups:`);
    const helloBefore = await measure({ ...load, url: hello.url, pid: hello.pid, path: '/' });
    log(`  bare Fastify hello world: ${fmt(helloBefore.rps)} req/s${cpuNote(helloBefore)}`);

    const cookie = await logIn(app.url, bigOrg.email, bigOrg.password);
    const overview = `/orgs/${bigOrg.slug}`;
    const usage = `/orgs/${bigOrg.slug}/settings/usage`;
    let A: LoadResult | undefined;
    let B5: LoadResult | undefined;
    let B0: LoadResult | undefined;
    let C: LoadResult | undefined;
    let D: LoadResult | undefined;
    if (only.has('A')) {
      await check(app.url + overview, { headers: { cookie } }, { status: 200, contains: 'View all 50 applications' });
      A = await measure({ ...load, url: app.url, pid: app.pid, path: overview, headers: { cookie } });
      log(`  A. overview: ${fmt(A.rps)} req/s, p99 ${fmt(A.p99Ms)} ms${cpuNote(A)}`);
      noteRss('A');
    }
    if (only.has('B') && zero && zeroOrg) {
      await check(app.url + usage, { headers: { cookie } }, { status: 200, contains: 'Greenhouse 50' });
      // The same organization on a second server whose database stores no
      // payloads; the two are measured in alternating slices.
      const app0 = await startApp('app-empty', zero.env);
      servers.push(app0);
      const cookie0 = await logIn(app0.url, zeroOrg.email, zeroOrg.password);
      const usage0 = `/orgs/${zeroOrg.slug}/settings/usage`;
      await check(app0.url + usage0, { headers: { cookie: cookie0 } }, { status: 200, contains: 'Usage' });
      [B5, B0] = await measurePair(
        { ...load, url: app.url, pid: app.pid, path: usage, headers: { cookie } },
        { ...load, url: app0.url, pid: app0.pid, path: usage0, headers: { cookie: cookie0 } },
        quick ? 2 : 4,
      );
      log(`  B. usage page, ${fmt(sizes.payloads)} payloads: ${fmt(B5.rps)} req/s, mean latency ${fmt((CONNECTIONS / B5.rps) * 1000)} ms${cpuNote(B5)}`);
      log(`  B. usage page, 0 payloads: ${fmt(B0.rps)} req/s, mean latency ${fmt((CONNECTIONS / B0.rps) * 1000)} ms${cpuNote(B0)}`);
      noteRss('B');
      // Requests autocannon gave up on at the end of a run may still be queued in the server.
      await new Promise((r) => setTimeout(r, 2_000));
      await app0.stop();
      servers.splice(servers.indexOf(app0), 1);
    }
    // Every request goes to the next of BENCH_DEVICES devices, so the
    // per-device limit (600 a minute) is never what is measured.
    const devicePaths = bigOrg.deviceIds.map((id) => `/api/applications/${bigOrg!.applicationId}/devices/${id}/state`);
    const deviceHeaders = { authorization: `Bearer ${bigOrg.keyId}:${bigOrg.secret}`, 'content-type': 'application/json' };
    const stateBody = JSON.stringify({ data: { temperature: 21.5, humidity: 40 } });
    // A device sends what it measured since its last report: 100 states of
    // the last second, so every request carries new times (as real devices'
    // do), not the same 100 instants again.
    const statesBody = () => {
      const start = Date.now() - 1_000;
      return JSON.stringify(
        Array.from({ length: STATES_PER_REQUEST }, (_, i) => ({
          data: { temperature: 20 + (i % 10) / 10, humidity: 40 + (i % 7) },
          time: new Date(start + i * 10).toISOString(),
        })),
      );
    };
    if (only.has('C')) {
      const body = stateBody;
      await check(app.url + devicePaths[0], { method: 'POST', headers: deviceHeaders, body }, { status: 202, contains: '"accepted":1' });
      C = await measure({ ...load, url: app.url, pid: app.pid, method: 'POST', paths: devicePaths, headers: deviceHeaders, body });
      log(`  C. device API, 1 state a request: ${fmt(C.rps)} req/s${cpuNote(C)}`);
      noteRss('C');
    }
    if (only.has('D')) {
      const body = statesBody;
      await check(app.url + devicePaths[0], { method: 'POST', headers: deviceHeaders, body: body() }, { status: 202, contains: `"accepted":${STATES_PER_REQUEST}` });
      D = await measure({ ...load, url: app.url, pid: app.pid, method: 'POST', paths: devicePaths, headers: deviceHeaders, body });
      log(`  D. device API, ${STATES_PER_REQUEST} states a request: ${fmt(D.rps * STATES_PER_REQUEST)} payloads/s (${fmt(D.rps)} req/s)${cpuNote(D)}`);
      noteRss('D');
    }
    const peakRss = app.peakRss();
    // Several instances on one PostgreSQL database — C and D
    // again with a second app process, each loaded by half the connections,
    // at the same time; the figure is their sum.
    let twoC: TwoProcesses | undefined;
    let twoD: TwoProcesses | undefined;
    if (dialect === 'postgres' && (only.has('C') || only.has('D'))) {
      const app2 = await startApp('app-2', big.env);
      servers.push(app2);
      const both = async (opts: Omit<LoadOptions, 'url' | 'pid' | 'connections'>): Promise<TwoProcesses> => {
        const half = CONNECTIONS / 2;
        const [one, two] = await Promise.all([
          measure({ ...opts, connections: half, url: app.url, pid: app.pid }),
          measure({ ...opts, connections: half, url: app2.url, pid: app2.pid }),
        ]);
        const requests = one.requests + two.requests;
        const cpuMs = ((one.serverCpuMs ?? 0) * one.requests + (two.serverCpuMs ?? 0) * two.requests) / Math.max(1, requests);
        return { rps: one.rps + two.rps, serverCpuMs: cpuMs, p99Ms: Math.max(one.p99Ms, two.p99Ms), processes: [one, two] };
      };
      if (only.has('C')) {
        twoC = await both({ seconds: sizes.seconds, warmupSeconds: sizes.warmup, method: 'POST', paths: devicePaths, headers: deviceHeaders, body: stateBody });
        log(`  C. two processes, 25 connections each: ${fmt(twoC.rps)} req/s together (${twoC.processes.map((x) => fmt(x.rps)).join(' + ')})${cpuNote(twoC)}`);
      }
      if (only.has('D')) {
        twoD = await both({ seconds: sizes.seconds, warmupSeconds: sizes.warmup, method: 'POST', paths: devicePaths, headers: deviceHeaders, body: statesBody });
        log(`  D. two processes, 25 connections each: ${fmt(twoD.rps * STATES_PER_REQUEST)} payloads/s together (${twoD.processes.map((x) => fmt(x.rps * STATES_PER_REQUEST)).join(' + ')})${cpuNote(twoD)}`);
      }
      await app2.stop();
      servers.splice(servers.indexOf(app2), 1);
    }
    // PostgreSQL's C is judged against SQLite's C in the same run: the same
    // organization seeded on SQLite, its own server, the same load.
    let sqliteC: LoadResult | undefined;
    if (dialect === 'postgres' && only.has('C')) {
      log(`Seeding the organization on SQLite too, for C against SQLite in this run…`);
      const lite = await createBenchDatabase('sqlite', 'pages-payloads-sqlite');
      if (!args.keep) cleanup.push(lite.drop);
      const liteOrg = await withDb(lite, (db) => seedBigOrganization(db, { payloads: sizes.payloads, now, benchDevices: BENCH_DEVICES, log }));
      const appLite = await startApp('app-sqlite', lite.env);
      servers.push(appLite);
      const litePaths = liteOrg.deviceIds.map((id) => `/api/applications/${liteOrg.applicationId}/devices/${id}/state`);
      const liteHeaders = { authorization: `Bearer ${liteOrg.keyId}:${liteOrg.secret}`, 'content-type': 'application/json' };
      await check(appLite.url + litePaths[0], { method: 'POST', headers: liteHeaders, body: stateBody }, { status: 202, contains: '"accepted":1' });
      sqliteC = await measure({ ...load, url: appLite.url, pid: appLite.pid, method: 'POST', paths: litePaths, headers: liteHeaders, body: stateBody });
      log(`  C on SQLite, same run: ${fmt(sqliteC.rps)} req/s${cpuNote(sqliteC)}`);
      await appLite.stop();
      servers.splice(servers.indexOf(appLite), 1);
    }
    const helloAfter = await measure({ ...load, url: hello.url, pid: hello.pid, path: '/' });
    log(`  bare Fastify hello world again: ${fmt(helloAfter.rps)} req/s${cpuNote(helloAfter)}`);
    await stopAll();
    const bare = (helloBefore.rps + helloAfter.rps) / 2;

    results.hello = { before: helloBefore, after: helloAfter, rps: bare };
    if (A) results.A = { ...A, ratio: A.rps / bare, met: (A.serverCpuMs ?? Infinity) <= targets.A_cpu_ms && A.p99Ms <= targets.A_p99_ms };
    // Mean latency under a closed loop of N connections is N / throughput
    // (Little's law). autocannon's own mean leaves out the requests still in
    // flight when a run stops — the slowest ones — so it reads low, unevenly.
    if (B5 && B0) {
      const latency5 = (CONNECTIONS / B5.rps) * 1000;
      const latency0 = (CONNECTIONS / B0.rps) * 1000;
      results.B = { payloads: { ...B5, littleMeanMs: latency5 }, empty: { ...B0, littleMeanMs: latency0 }, ratio: latency5 / latency0, met: latency5 / latency0 <= targets.B_ratio && Math.max(B5.serverCpuMs ?? Infinity, B0.serverCpuMs ?? Infinity) <= targets.B_cpu_ms };
    }
    if (C) results.C = { ...C, ratio: C.rps / bare, met: C.rps / bare >= targets.C_ratio };
    if (D) results.D = { ...D, payloadsPerSecond: D.rps * STATES_PER_REQUEST, met: D.rps * STATES_PER_REQUEST >= targets.D_payloads_per_s };
    if (twoC) results.twoProcessesC = { ...twoC, ratio: twoC.rps / bare };
    if (twoD) results.twoProcessesD = { ...twoD, payloadsPerSecond: twoD.rps * STATES_PER_REQUEST };
    if (C && sqliteC) results.sqliteC = { ...sqliteC, ratio: sqliteC.rps / bare, postgresVsSqlite: C.rps / sqliteC.rps, met: C.rps / sqliteC.rps >= targets.C_postgres_vs_sqlite };
    results.F = { peakRssBytes: peakRss, peakRssMiB: peakRss / 2 ** 20, rssMiBAfter: rss, met: peakRss / 2 ** 20 <= targets.F_mib };
    log(`  F. server memory (RSS, MiB) after ${Object.entries(rss).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}; peak ${fmt(peakRss / 2 ** 20)}`);
    if (args.profile) log(`  CPU profile of the server written to ${profileDir}`);
  }

  // ---- E: renewal passes in this process ----------------------------------
  if (due.length) {
    const passes: Record<number, { seconds: number; organizations: number; invoices: number; failed: number }> = {};
    for (const { size, database, at } of due) {
      const r = await withDb(database, async ({ sql: db }) => {
        const clock = new ManualClock(at);
        const deps = { db, clock, gateway: new SimulatedGateway(db, clock), mailer: createMailer({ db, clock }), config: benchConfig() };
        const t0 = performance.now();
        const report = await renewalPass(deps, at);
        return { seconds: (performance.now() - t0) / 1000, ...report };
      });
      if (r.organizations !== size || r.invoices !== size || r.failed !== 0) {
        throw new Error(`renewal pass over ${size} organizations renewed ${r.organizations}, issued ${r.invoices}, failed ${r.failed}`);
      }
      passes[size] = r;
      log(`  E. renewal pass over ${fmt(size)} organizations: ${fmt(r.seconds, 2)} s (${fmt(r.invoices)} invoices issued and charged)`);
    }
    const large = passes[sizes.dueLarge]!;
    const small = passes[sizes.dueSmall]!;
    const growth = large.seconds / small.seconds;
    results.E = {
      large,
      small,
      growth,
      met: (large.seconds / large.organizations) * 10_000 <= targets.E_seconds && growth <= targets.E_growth,
    };
  }

  await runCleanup();
  results.totalSeconds = (performance.now() - started) / 1000;
  const table = renderTable(results);
  log('');
  log(table);
  results.table = table;
  writeFileSync(join('bench', 'results.json'), JSON.stringify(results, null, 2) + '\n');
  log(`\nWritten to bench/results.json (${fmt(results.totalSeconds as number)} s in all).`);
}

/** The figures against the issue's targets, as a Markdown table (it goes into the README as is). */
function renderTable(r: Record<string, any>): string {
  const rows: [string, string, string, string][] = [];
  const ok = (met: boolean | undefined) => (met === undefined ? '' : met ? 'met' : '**missed**');
  const skipped = (figure: string) => rows.push([figure, 'skipped (--only)', '', '']);
  const cpu = (x: { serverCpuMs?: number }) => (x.serverCpuMs === undefined ? '' : `; ${fmt(x.serverCpuMs, 2)} ms server CPU each`);
  const bare = r.hello?.rps as number | undefined;
  if (bare) rows.push(['bare Fastify hello world (yardstick)', `${fmt(bare)} req/s (${fmt(r.hello.before.rps)} before, ${fmt(r.hello.after.rps)} after${cpu(r.hello.before)})`, '', '']);
  if (r.A) {
    rows.push(['A. signed-in overview page, server CPU a request', `${fmt(r.A.serverCpuMs ?? NaN, 2)} ms (${fmt(r.A.rps)} req/s = ${fmt(r.A.ratio, 3)} of bare)`, `≤ ${fmt(targets.A_cpu_ms, 1)} ms`, ok((r.A.serverCpuMs ?? Infinity) <= targets.A_cpu_ms)]);
    rows.push(['A. signed-in overview page, p99 latency', `${fmt(r.A.p99Ms)} ms`, `≤ ${targets.A_p99_ms} ms`, ok(r.A.p99Ms <= targets.A_p99_ms)]);
  } else skipped('A');
  if (r.B) {
    rows.push([
      `B. usage page, mean latency ${fmt(r.sizes.payloads / 1e6, 1)}M / 0 payloads`,
      `${fmt(r.B.ratio, 3)} (${fmt(r.B.payloads.littleMeanMs)} / ${fmt(r.B.empty.littleMeanMs)} ms at ${fmt(r.B.payloads.rps)} / ${fmt(r.B.empty.rps)} req/s; server CPU ${fmt(r.B.payloads.serverCpuMs ?? 0, 2)} / ${fmt(r.B.empty.serverCpuMs ?? 0, 2)} ms each)`,
      `≤ ${targets.B_ratio}; ≤ ${fmt(targets.B_cpu_ms, 1)} ms CPU`,
      ok(r.B.met),
    ]);
  } else skipped('B');
  if (r.C) rows.push(['C. device API, 1 payload a request, req/s vs bare', `${fmt(r.C.ratio, 3)} (${fmt(r.C.rps)} req/s${cpu(r.C)})`, `≥ ${targets.C_ratio}`, ok(r.C.met)]);
  else skipped('C');
  if (r.D) rows.push(['D. device API, 100 payloads a request', `${fmt(r.D.payloadsPerSecond)} payloads/s (${fmt(r.D.rps)} req/s${cpu(r.D)})`, `≥ ${fmt(targets.D_payloads_per_s)}`, ok(r.D.met)]);
  else skipped('D');
  if (r.sqliteC) {
    rows.push([
      'C on PostgreSQL vs C on SQLite, same run',
      `${fmt(r.sqliteC.postgresVsSqlite, 2)} (${fmt(r.C.rps)} / ${fmt(r.sqliteC.rps)} req/s; SQLite ${fmt(r.sqliteC.serverCpuMs ?? NaN, 2)} ms CPU each)`,
      `≥ ${targets.C_postgres_vs_sqlite}`,
      ok(r.sqliteC.met),
    ]);
  }
  const two = (x: { processes: LoadResult[] }, f: (l: LoadResult) => number) => x.processes.map((p) => fmt(f(p))).join(' + ');
  if (r.twoProcessesC) {
    rows.push(['C. two processes on one database (25 connections each)', `${fmt(r.twoProcessesC.rps)} req/s (${two(r.twoProcessesC, (p) => p.rps)}; one process: ${fmt(r.C?.rps ?? NaN)})${cpu(r.twoProcessesC)}`, '', '']);
  }
  if (r.twoProcessesD) {
    rows.push([
      'D. two processes on one database (25 connections each)',
      `${fmt(r.twoProcessesD.payloadsPerSecond)} payloads/s (${two(r.twoProcessesD, (p) => p.rps * STATES_PER_REQUEST)}; one process: ${fmt(r.D?.payloadsPerSecond ?? NaN)})${cpu(r.twoProcessesD)}`,
      '',
      '',
    ]);
  }
  if (r.E) {
    // The targets are for 10,000 and 1,000 organizations; quick mode seeds a tenth.
    const full = r.E.large.organizations === 10_000;
    const perTenThousand = (r.E.large.seconds / r.E.large.organizations) * 10_000;
    rows.push([
      `E. renewal pass, ${fmt(r.E.large.organizations)} due organizations`,
      `${fmt(r.E.large.seconds, 2)} s${full ? '' : ` (${fmt(perTenThousand, 1)} s per 10,000 at this rate)`}`,
      `≤ ${targets.E_seconds} s for 10,000`,
      full ? ok(r.E.large.seconds <= targets.E_seconds) : `(quick: ${ok(perTenThousand <= targets.E_seconds)} at this rate)`,
    ]);
    rows.push([`E. growth ${fmt(r.E.large.organizations)} / ${fmt(r.E.small.organizations)} (${fmt(r.E.small.seconds, 2)} s)`, fmt(r.E.growth, 2), `≤ ${targets.E_growth}`, ok(r.E.growth <= targets.E_growth)]);
  } else skipped('E');
  if (r.F) rows.push(['F. peak RSS of the server during A–D', `${fmt(r.F.peakRssMiB)} MiB`, `≤ ${targets.F_mib} MiB`, ok(r.F.met)]);
  else skipped('F');
  const header = `| figure (${r.mode}, ${r.dialect}, ${CONNECTIONS} connections) | measured | target | |`;
  return [header, '|---|---|---|---|', ...rows.map((cells) => `| ${cells.join(' | ')} |`)].join('\n');
}

main().catch(async (err) => {
  // Knex errors carry the whole SQL statement; a bulk insert makes that pages long.
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  console.error(text.length > 2_000 ? text.slice(0, 1_000) + ' … ' + text.slice(-1_000) : text);
  await runCleanup();
  process.exit(1);
});
