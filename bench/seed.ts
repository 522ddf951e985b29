import { ManualClock, type Clock } from '../src/clock.ts';
import type { Knex } from 'knex';
import { isPostgresKnex as isPostgres } from '../src/db/knex.ts';
import { signUp } from '../src/modules/accounts/sign-up.ts';
import type { User } from '../src/modules/accounts/queries.ts';
import { createApplication } from '../src/modules/applications/create-application.ts';
import { createAccessKey } from '../src/modules/applications/manage-access-keys.ts';
import { SimulatedGateway } from '../src/modules/billing/gateway/simulated.ts';
import { createMailer } from '../src/modules/mail/mailer.ts';
import { benchConfig } from './config.ts';
import { addMonthsClamped } from '../src/modules/owners/periods.ts';
import { createDashboard } from '../src/modules/dashboards/create-dashboard.ts';
import type { Role } from '../src/modules/tenancy/policy.ts';
import { createOrganization } from '../src/modules/organizations/create-organization.ts';
import type { Organization } from '../src/modules/tenancy/queries/organizations.ts';
import { openWizard, selectPlan } from '../src/modules/organizations/wizard.ts';
import { findWizard } from '../src/modules/organizations/queries/wizards.ts';
import { resetSequences, type BenchHandle } from './databases.ts';

const DAY_MS = 86_400_000;
export const BENCH_PASSWORD = 'bench password 0123456789';

/**
 * An organization and its owner made the way the product makes them: sign-up,
 * then the creation wizard's use case paid with a good card on the simulated
 * gateway (as test/support/builders.ts does).
 */
async function newOrganizationThroughWizard(
  h: BenchHandle,
  clock: Clock,
  opts: { email: string; name: string; plan: 'starter' | 'business'; orgName: string },
): Promise<{ user: User; organization: Organization }> {
  const { sql } = h;
  const signed = await signUp(sql, clock, { name: opts.name, email: opts.email, password: BENCH_PASSWORD });
  if (!signed.ok) throw new Error(`seed: sign-up failed: ${signed.reason}`);
  const user = signed.user;
  const wizard = await openWizard(sql, clock, user, { restartCompleted: true });
  const selected = await selectPlan(sql, clock, wizard, opts.plan);
  if (!selected.ok) throw new Error(`seed: ${selected.reason}`);
  const gateway = new SimulatedGateway(sql, clock);
  const result = await createOrganization(
    { db: sql, clock, gateway, mailer: createMailer({ db: sql, clock }), config: benchConfig() },
    user,
    (await findWizard(sql, user.id))!,
    { name: opts.orgName, description: 'Seeded by npm run bench', iconColor: '#3346d3', billingEmail: user.email },
    { kind: 'card', number: '4242424242424242', expMonth: 12, expYear: clock.now().getUTCFullYear() + 3, cvc: '123' },
  );
  if (!result.ok) throw new Error(`seed: createOrganization failed: ${result.reason}`);
  return { user, organization: result.organization };
}

/** Inserts rows in statements small enough for SQLite's and PostgreSQL's bound-parameter limits. */
async function insertChunked(db: Knex, table: string, rows: Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!).length;
  // SQLite: knex writes a multi-row insert as a compound SELECT of at most 500 terms.
  const perStatement = Math.max(1, Math.min(500, Math.floor(30_000 / columns)));
  for (let i = 0; i < rows.length; i += perStatement) await db(table).insert(rows.slice(i, i + perStatement));
}

async function nextId(db: Knex, table: string): Promise<number> {
  const row = (await db(table).max({ m: 'id' }).first()) as { m: unknown } | undefined;
  return Number(row?.m ?? 0) + 1;
}

export interface BigOrganization {
  slug: string;
  organizationId: number;
  email: string;
  password: string;
  /** The application the device API is measured on, its access key and its devices. */
  applicationId: number;
  keyId: string;
  secret: string;
  deviceIds: number[];
  payloads: number;
  seconds: number;
}

/**
 * The organization pages are measured on: 50 applications, 50 dashboards,
 * 100 members, `payloads` stored payloads spread over the current period and
 * the usage counters that match them. Its period began 20 days before `now`
 * (the server runs on the real clock), so the usage chart has 20 days of data.
 */
export async function seedBigOrganization(
  h: BenchHandle,
  opts: { payloads: number; now: Date; benchDevices: number; log?: (line: string) => void },
): Promise<BigOrganization> {
  const { sql, knex: db } = h;
  const started = performance.now();
  const log = opts.log ?? (() => undefined);
  const clock = new ManualClock(new Date(opts.now.getTime() - 20 * DAY_MS));
  const email = 'owner@bench.example';
  const { user, organization } = await newOrganizationThroughWizard(h, clock, {
    email,
    name: 'Bench Owner',
    plan: 'business',
    orgName: 'Bench Robotics',
  });
  const owner = { kind: 'organization', organizationId: organization.id } as const;

  // 99 more members; one password hash serves them all (nobody logs in as them).
  const hash = (await db('users').where({ id: user.id }).first('password_hash')).password_hash as string;
  const roles: Role[] = ['administrator', 'editor', 'collaborator', 'viewer', 'none'];
  const createdAt = clock.now().getTime();
  const firstUser = await nextId(db, 'users');
  const users = Array.from({ length: 99 }, (_, i) => ({
    id: firstUser + i,
    email: `member${i + 1}@bench.example`,
    name: `Member ${String(i + 1).padStart(3, '0')}`,
    password_hash: hash,
    is_platform_admin: false,
    created_at: createdAt,
  }));
  await insertChunked(db, 'users', users);
  const firstMembership = await nextId(db, 'memberships');
  await insertChunked(
    db,
    'memberships',
    users.map((u, i) => ({ id: firstMembership + i, organization_id: organization.id, user_id: u.id, role: roles[i % roles.length], created_at: createdAt })),
  );
  await resetSequences(db, ['users', 'memberships']);

  // 50 applications and 50 dashboards through their use cases (limits, audit).
  const applicationIds: number[] = [];
  for (let i = 1; i <= 50; i++) {
    const r = await createApplication(sql, clock, { owner, name: `Greenhouse ${String(i).padStart(2, '0')}`, description: `Sensors of greenhouse ${i}`, userId: user.id });
    if (!r.ok) throw new Error(`seed: createApplication: ${JSON.stringify(r)}`);
    applicationIds.push(r.id);
  }
  for (let i = 1; i <= 50; i++) {
    const r = await createDashboard(sql, clock, { user, owner, name: `Dashboard ${String(i).padStart(2, '0')}`, description: '' });
    if (!r.ok) throw new Error(`seed: createDashboard: ${r.reason}`);
  }

  // Ten devices per application carry the stored payloads; the first
  // application has `benchDevices` more that the device API is measured on.
  const firstDevice = await nextId(db, 'devices');
  const devices: { id: number; application_id: number; name: string; created_at: number }[] = [];
  for (const applicationId of applicationIds) {
    for (let d = 1; d <= 10; d++) devices.push({ id: firstDevice + devices.length, application_id: applicationId, name: `Sensor ${d}`, created_at: createdAt });
  }
  const storing = devices.slice();
  for (let d = 1; d <= opts.benchDevices; d++) devices.push({ id: firstDevice + devices.length, application_id: applicationIds[0]!, name: `Bench device ${d}`, created_at: createdAt });
  await insertChunked(db, 'devices', devices);
  await resetSequences(db, ['devices']);
  const key = await createAccessKey(sql, clock, applicationIds[0]!, 'bench');

  const periodStart = clock.now().getTime();
  if (opts.payloads > 0) {
    log(`  inserting ${opts.payloads.toLocaleString('en-US')} payloads…`);
    await insertPayloads(db, {
      count: opts.payloads,
      devices: storing.map((d) => ({ applicationId: d.application_id, deviceId: d.id })),
      from: periodStart,
      to: opts.now.getTime() - 60_000,
    });
    // The counters say what is stored (R8.2): per application for the period, per application and UTC day.
    await db.raw(
      `INSERT INTO usage_counters (owner_type, owner_id, application_id, period_start, application_name, payloads, rejected)
       SELECT a.owner_type, a.owner_id, a.id, ${periodStart}, a.name, COUNT(*), 0
       FROM payloads p JOIN applications a ON a.id = p.application_id
       WHERE a.owner_type = 'organization' AND a.owner_id = ?
       GROUP BY a.owner_type, a.owner_id, a.id, a.name`,
      [organization.id],
    );
    await db.raw(
      `INSERT INTO usage_daily (owner_type, owner_id, application_id, day, payloads)
       SELECT a.owner_type, a.owner_id, a.id, (p.time / ${DAY_MS}) * ${DAY_MS}, COUNT(*)
       FROM payloads p JOIN applications a ON a.id = p.application_id
       WHERE a.owner_type = 'organization' AND a.owner_id = ?
       GROUP BY a.owner_type, a.owner_id, a.id, (p.time / ${DAY_MS}) * ${DAY_MS}`,
      [organization.id],
    );
  }
  await settle(db);
  return {
    slug: organization.slug,
    organizationId: organization.id,
    email,
    password: BENCH_PASSWORD,
    applicationId: applicationIds[0]!,
    keyId: key.keyId,
    secret: key.secret,
    deviceIds: devices.slice(storing.length).map((d) => d.id),
    payloads: opts.payloads,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * B's second database is the same organization with the same usage and no
 * stored payloads, as after retention removed them: the counters of the
 * period (R8.2) are copied from the first database's organization, so the
 * two usage pages differ only in what is stored.
 */
export async function copyUsageCounters(fromHandle: BenchHandle, fromOrganizationId: number, toHandle: BenchHandle, toOrganizationId: number): Promise<void> {
  const from = fromHandle.knex;
  const to = toHandle.knex;
  const names = new Map<string, number>(
    (await to('applications').where({ owner_type: 'organization', owner_id: toOrganizationId }).select('id', 'name')).map((a: { id: number; name: string }) => [a.name, a.id]),
  );
  const appId = (name: string) => {
    const id = names.get(name);
    if (id === undefined) throw new Error(`seed: no application ${name} to copy counters to`);
    return id;
  };
  const fromNames = new Map<number, string>(
    (await from('applications').where({ owner_type: 'organization', owner_id: fromOrganizationId }).select('id', 'name')).map((a: { id: number; name: string }) => [a.id, a.name]),
  );
  const counters = await from('usage_counters').where({ owner_type: 'organization', owner_id: fromOrganizationId });
  await insertChunked(
    to,
    'usage_counters',
    counters.map((c: Record<string, unknown>) => ({ ...c, owner_id: toOrganizationId, application_id: appId(String(c.application_name)) })),
  );
  const daily = await from('usage_daily').where({ owner_type: 'organization', owner_id: fromOrganizationId });
  await insertChunked(
    to,
    'usage_daily',
    daily.map((d: Record<string, unknown>) => ({ ...d, owner_id: toOrganizationId, application_id: appId(fromNames.get(Number(d.application_id))!) })),
  );
  await settle(to);
}

/**
 * Stored payloads in bulk, in the database itself: a recursive CTE on SQLite,
 * generate_series on PostgreSQL; round-robin over the devices, times spread
 * evenly over [from, to).
 */
async function insertPayloads(
  db: Knex,
  opts: { count: number; devices: { applicationId: number; deviceId: number }[]; from: number; to: number },
): Promise<void> {
  const map = 'bench_device_map';
  await db.schema.dropTableIfExists(map);
  await db.schema.createTable(map, (t) => {
    t.integer('k').primary();
    t.integer('application_id').notNullable();
    t.integer('device_id').notNullable();
  });
  await insertChunked(db, map, opts.devices.map((d, k) => ({ k, application_id: d.applicationId, device_id: d.deviceId })));
  // Integers are written into the SQL (they are ours): better-sqlite3 binds
  // every JS number as REAL, and REAL arithmetic would store fractional times.
  const int = (v: number) => {
    if (!Number.isSafeInteger(v)) throw new Error(`seed: ${v} is not an integer`);
    return String(v);
  };
  const n = int(opts.count);
  const from = int(opts.from);
  const span = int(opts.to - opts.from);
  const devices = int(opts.devices.length);
  const batch = 1_000_000;
  for (let lo = 0; lo < opts.count; lo += batch) {
    const hi = Math.min(opts.count, lo + batch);
    const [seq, i] = isPostgres(db)
      ? [`generate_series(${int(lo)}::bigint, ${int(hi - 1)}::bigint) AS s(i)`, 's.i']
      : [`seq`, 'seq.i'];
    const select = `SELECT m.application_id, m.device_id, ${from} + (${i} * ${span}) / ${n}, ${from} + (${i} * ${span}) / ${n},
        '{"temperature":' || (${i} % 40) || ',"humidity":' || (${i} % 60) || '}'
      FROM ${seq} JOIN ${map} m ON m.k = ${i} % ${devices}`;
    const insert = 'INSERT INTO payloads (application_id, device_id, time, received_at, data)';
    if (isPostgres(db)) await db.raw(`${insert} ${select}`);
    else await db.raw(`WITH RECURSIVE seq(i) AS (SELECT ${int(lo)} UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ${int(hi)}) ${insert} ${select}`);
  }
  await db.schema.dropTable(map);
}

/** SQLite: fold the WAL into the file; PostgreSQL: the statistics autovacuum would gather. */
async function settle(db: Knex): Promise<void> {
  if (isPostgres(db)) await db.raw('ANALYZE');
  else await db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
}

export interface DueOrganizations {
  count: number;
  /** The instant the renewal pass runs as: an hour after every period ended. */
  at: Date;
  seconds: number;
}

/**
 * `count` organizations on Starter whose first period has ended, each with
 * a card on file, invoice #1 paid and an application with usage (every tenth
 * over its allotment, so renewals carry overage lines). The first is made by
 * the wizard's use case; the others copy its rows in bulk, with their own ids,
 * slugs, invoice numbers, gateway customers and cards.
 */
export async function seedDueOrganizations(h: BenchHandle, count: number): Promise<DueOrganizations> {
  const { sql, knex: db } = h;
  const started = performance.now();
  const anchor = new Date('2026-01-15T12:00:00.000Z');
  const clock = new ManualClock(anchor);
  const { user, organization } = await newOrganizationThroughWizard(h, clock, {
    email: 'renewals@bench.example',
    name: 'Renewal Owner',
    plan: 'starter',
    orgName: 'Due 0',
  });
  const owner = { kind: 'organization', organizationId: organization.id } as const;
  const app = await createApplication(sql, clock, { owner, name: 'Fleet', description: '', userId: user.id });
  if (!app.ok) throw new Error(`seed: ${JSON.stringify(app)}`);
  await db('usage_counters').insert({
    owner_type: 'organization',
    owner_id: organization.id,
    application_id: app.id,
    period_start: anchor.getTime(),
    application_name: 'Fleet',
    payloads: 26_000_000,
    rejected: 3,
  });

  const orgId = organization.id;
  const tpl = {
    organization: await db('organizations').where({ id: orgId }).first(),
    memberships: await db('memberships').where({ organization_id: orgId }),
    account: await db('billing_accounts').where({ organization_id: orgId }).first(),
    planChanges: await db('plan_changes').where({ organization_id: orgId }),
    invoices: await db('invoices').where({ organization_id: orgId }),
    audit: await db('audit_events').where({ organization_id: orgId }),
    applications: await db('applications').where({ owner_type: 'organization', owner_id: orgId }),
    counters: await db('usage_counters').where({ owner_type: 'organization', owner_id: orgId }),
  };
  const invoiceIds = tpl.invoices.map((i: { id: number }) => i.id);
  const lines = await db('invoice_lines').whereIn('invoice_id', invoiceIds);
  const attempts = await db('payment_attempts').whereIn('invoice_id', invoiceIds);
  const customer = await db('sim_customers').where({ ref: tpl.account.customer_ref }).first();
  const card = await db('sim_payment_methods').where({ ref: tpl.account.payment_method_ref }).first();
  const charges = await db('sim_charges').whereIn('ref', attempts.map((a: { charge_ref: string }) => a.charge_ref));
  if (tpl.invoices.length !== 1 || attempts.length !== 1 || charges.length !== 1 || tpl.applications.length !== 1) {
    throw new Error('seed: the wizard made a different organization than the copier expects; update bench/seed.ts');
  }

  const ids = {
    organizations: await nextId(db, 'organizations'),
    memberships: await nextId(db, 'memberships'),
    plan_changes: await nextId(db, 'plan_changes'),
    invoices: await nextId(db, 'invoices'),
    invoice_lines: await nextId(db, 'invoice_lines'),
    payment_attempts: await nextId(db, 'payment_attempts'),
    audit_events: await nextId(db, 'audit_events'),
    applications: await nextId(db, 'applications'),
  };
  const rows: Record<string, Record<string, unknown>[]> = {
    organizations: [],
    memberships: [],
    sim_customers: [],
    sim_payment_methods: [],
    sim_charges: [],
    billing_accounts: [],
    plan_changes: [],
    invoices: [],
    invoice_lines: [],
    payment_attempts: [],
    audit_events: [],
    applications: [],
    usage_counters: [],
  };
  for (let i = 1; i < count; i++) {
    const k = i - 1;
    const id = ids.organizations + k;
    const slug = `due${String(i).padStart(6, '0')}`;
    const customerRef = `scus_bench${i}`;
    const cardRef = `spm_bench${i}`;
    const chargeRef = `sch_bench${i}`;
    const chargeKey = `bench-due-${i}-first-charge`;
    const invoiceId = ids.invoices + k;
    const applicationId = ids.applications + k;
    rows.organizations!.push({ ...tpl.organization, id, slug, name: `Due ${i}` });
    tpl.memberships.forEach((m: Record<string, unknown>, j: number) => rows.memberships!.push({ ...m, id: ids.memberships + k * tpl.memberships.length + j, organization_id: id }));
    rows.sim_customers!.push({ ...customer, ref: customerRef, idempotency_key: `bench-due-${i}-customer` });
    rows.sim_payment_methods!.push({ ...card, ref: cardRef, customer_ref: customerRef });
    rows.sim_charges!.push({ ...charges[0], ref: chargeRef, idempotency_key: chargeKey, customer_ref: customerRef, payment_method_ref: cardRef });
    rows.billing_accounts!.push({ ...tpl.account, organization_id: id, customer_ref: customerRef, payment_method_ref: cardRef });
    for (const p of tpl.planChanges) rows.plan_changes!.push({ ...p, id: ids.plan_changes + k, organization_id: id });
    rows.invoices!.push({ ...tpl.invoices[0], id: invoiceId, organization_id: id, number: `${slug.toUpperCase()}-000001` });
    lines.forEach((l: Record<string, unknown>, j: number) => rows.invoice_lines!.push({ ...l, id: ids.invoice_lines + k * lines.length + j, invoice_id: invoiceId }));
    rows.payment_attempts!.push({ ...attempts[0], id: ids.payment_attempts + k, organization_id: id, invoice_id: invoiceId, idempotency_key: chargeKey, charge_ref: chargeRef });
    tpl.audit.forEach((a: Record<string, unknown>, j: number) =>
      rows.audit_events!.push({ ...a, id: ids.audit_events + k * tpl.audit.length + j, organization_id: id, target_id: String(id), target_label: `Due ${i}` }),
    );
    rows.applications!.push({ ...tpl.applications[0], id: applicationId, owner_id: id });
    for (const c of tpl.counters) rows.usage_counters!.push({ ...c, owner_id: id, application_id: applicationId, payloads: i % 10 === 0 ? 26_000_000 : 1_000_000 });
  }
  for (const [table, list] of Object.entries(rows)) await insertChunked(db, table, list);
  await resetSequences(db, Object.keys(ids));
  await settle(db);

  const periodEnd = addMonthsClamped(anchor, 1);
  return { count, at: new Date(periodEnd.getTime() + 3_600_000), seconds: (performance.now() - started) / 1000 };
}
