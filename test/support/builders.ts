import { createHash, randomBytes } from 'node:crypto';
import { signUp } from '../../src/modules/accounts/sign-up.ts';
import type { User } from '../../src/modules/accounts/queries.ts';
import { insertMembership } from '../../src/modules/tenancy/queries/memberships.ts';
import type { Role } from '../../src/modules/tenancy/policy.ts';
import { createOrganization } from '../../src/modules/organizations/create-organization.ts';
import type { Organization } from '../../src/modules/tenancy/queries/organizations.ts';
import { openWizard, selectPlan } from '../../src/modules/organizations/wizard.ts';
import { findWizard } from '../../src/modules/organizations/queries/wizards.ts';
import type { Agent } from './agent.ts';
import type { TestContext } from './app.ts';

export const DEFAULT_PASSWORD = 'correct horse battery';

let sequence = 0;
const unique = () => `${++sequence}-${randomBytes(3).toString('hex')}`;

export interface TestUser extends User {
  password: string;
}

/** A user who signed up (R1.1); named for the reader of the test. */
export async function newUser(
  t: TestContext,
  opts: { name?: string; email?: string; password?: string } = {},
): Promise<TestUser> {
  const password = opts.password ?? DEFAULT_PASSWORD;
  const result = await signUp(t.deps.db, t.clock, {
    name: opts.name ?? 'Ada Lovelace',
    email: opts.email ?? `user-${unique()}@example.com`,
    password,
  });
  if (!result.ok) throw new Error(`newUser failed: ${result.reason}`);
  return { ...result.user, password };
}

/** An agent already logged in as the user, through the real log-in form. */
export async function signedIn(t: TestContext, user: TestUser): Promise<Agent> {
  const agent = t.agent();
  const res = await agent.post('/login', { email: user.email, password: user.password });
  if (res.statusCode !== 303) throw new Error(`login failed for ${user.email}: ${res.statusCode}`);
  return agent;
}

/** An organization created through the wizard's use case, paid with a good card (R3.6). */
export async function newOrg(
  t: TestContext,
  opts: { owner: TestUser; plan?: 'starter' | 'professional' | 'business'; name?: string; description?: string },
): Promise<Organization> {
  const wizard = await openWizard(t.deps.db, t.clock, opts.owner, { restartCompleted: true });
  const selected = await selectPlan(t.deps.db, t.clock, wizard, opts.plan ?? 'starter');
  if (!selected.ok) throw new Error(`newOrg: ${selected.reason}`);
  const result = await createOrganization(
    t.deps,
    opts.owner,
    (await findWizard(t.deps.db, opts.owner.id))!,
    { name: opts.name ?? 'Acme Robotics', description: opts.description ?? '', iconColor: '#3346d3', billingEmail: opts.owner.email },
    { kind: 'card', number: '4242424242424242', expMonth: 12, expYear: t.clock.now().getUTCFullYear() + 3, cvc: '123' },
  );
  if (!result.ok) throw new Error(`newOrg failed: ${result.reason}`);
  return result.organization;
}

/** Puts a user in an organization with a role (invitations arrive with the People issue). */
export async function addMember(t: TestContext, org: Organization, user: TestUser, role: Role): Promise<void> {
  await insertMembership(t.deps.db, { organizationId: org.id, userId: user.id, role, createdAt: t.clock.now() });
}

/** The owner columns of an application or dashboard row: a user's Sandbox or an organization (R5.1). */
export type OwnerCols = { owner_type: 'user' | 'organization'; owner_id: number };
export const sandboxOf = (user: TestUser): OwnerCols => ({ owner_type: 'user', owner_id: user.id });
export const orgOwner = (org: Organization): OwnerCols => ({ owner_type: 'organization', owner_id: org.id });

/** Inserts a row straight into the database (data the code under test does not make) and answers its id. */
export async function insertRowId(t: TestContext, table: string, row: Record<string, unknown>): Promise<number> {
  const [inserted] = await t.knex(table).insert(row).returning('id');
  return Number(typeof inserted === 'object' ? inserted.id : inserted);
}

/** An application row, made directly. */
export const insertApplication = (t: TestContext, owner: OwnerCols, name: string) =>
  insertRowId(t, 'applications', { ...owner, name, description: '', created_at: t.clock.now().getTime() });

/** A device row, made directly. */
export const insertDevice = (t: TestContext, applicationId: number, name: string) =>
  insertRowId(t, 'devices', { application_id: applicationId, name, created_at: t.clock.now().getTime() });

/** Step 2 of the creation wizard as a form posts it (R3.4), with fields overridden. */
export const wizardDetailsForm = (over: Record<string, string> = {}) => ({
  name: 'Acme Robotics',
  description: 'Robots that water plants',
  icon_color: '#0f766e',
  billing_email: 'billing@acme.example',
  action: 'create',
  ...over,
});

/** An access key of an application, with the secret the test needs (the pages show it once), made directly. */
export async function insertAccessKey(t: TestContext, applicationId: number, opts: { revoked?: boolean } = {}): Promise<{ keyId: string; secret: string; authorization: string }> {
  const keyId = `ak_${randomBytes(8).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  await t.knex('access_keys').insert({
    application_id: applicationId,
    key_id: keyId,
    secret_hash: createHash('sha256').update(secret).digest('hex'),
    name: 'Gateway',
    created_at: t.clock.now().getTime(),
    revoked_at: opts.revoked ? t.clock.now().getTime() : null,
  });
  return { keyId, secret, authorization: `Bearer ${keyId}:${secret}` };
}
