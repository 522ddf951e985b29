import type { FastifyInstance } from 'fastify';
import { findUserById, pendingEmailChange, type User } from '../accounts/queries.ts';
import { requestEmailChange } from '../accounts/request-email-change.ts';
import { NAME_MAX, PASSWORD_MAX } from '../accounts/schemas.ts';
import { updateProfile } from '../accounts/update-profile.ts';
import { transferApplication, transferTargets } from '../applications/transfer-application.ts';
import { transferDashboard } from '../dashboards/transfer-dashboard.ts';
import type { Owner } from '../owners/columns.ts';
import { billingStatusOf, usagePeriodOf } from '../owners/owner-period.ts';
import { retryAfterSeconds } from '../rate-limits/gcra.ts';
import { rateLimitRules } from '../rate-limits/rules.ts';
import { can, type Role } from '../tenancy/policy.ts';
import { organizationsOfUser } from '../tenancy/organization-queries.ts';
import { dailyPayloads, usageTotals } from '../usage/queries.ts';
import { DAY_MS } from '../../clock.ts';
import { ApiError, apiNotFound } from './errors.ts';
import { apiIdSchema, fromApiId } from './ids.ts';
import { isoDate, nameParts } from './present.ts';
import { principalOf } from './principal.ts';
import { presentMe } from './present.ts';

interface MePatch {
  email?: string;
  firstName?: string;
  lastName?: string;
  /** Orgplane's own field: an email change needs the current password, as on the account page (R1.4). */
  currentPassword?: string;
  password?: string;
}

interface ResourceTransfer {
  destinationId: string;
  destinationType: 'user' | 'organization';
  applicationIds?: string[];
  dashboardIds?: string[];
  strict?: boolean;
}

/** The longest range payloadCounts answers for at once. */
const PAYLOAD_COUNTS_MAX_DAYS = 400;

const wireIdList = { type: 'array', maxItems: 1000, uniqueItems: true, items: apiIdSchema } as const;

/** R16.1: `me` — the user a token speaks for: get, patch, payloadCounts, transferResources. */
export async function meRoutes(api: FastifyInstance): Promise<void> {
  const { deps } = api;
  const { db, clock } = deps;
  const rules = rateLimitRules(deps.config);

  /** The user as stored now, with an email change waiting for its link (R1.4), if any. */
  async function presentMeNow(userId: number) {
    const user = (await findUserById(db, userId))!;
    const pending = await pendingEmailChange(db, user.id, clock.now());
    return { ...presentMe(user), ...(pending ? { pendingEmail: pending.newEmail, pendingEmailExpiration: isoDate(pending.expiresAt) } : {}) };
  }

  api.get(
    '/me',
    {
      config: { action: 'me.get' },
      schema: { tags: ['me'], summary: 'The user this token speaks for, with an email change waiting for its confirmation link (me.get)' },
    },
    async (request) => presentMeNow(principalOf(request).user.id),
  );

  api.patch<{ Body: MePatch }>(
    '/me',
    {
      config: { action: 'me.patch' },
      schema: {
        tags: ['me'],
        summary:
          'Change your name or email (me.patch). A new email needs currentPassword and takes effect when the link mailed to it is opened; the answer shows the user as it is now, with pendingEmail. A password is changed on the account page only.',
        body: {
          type: 'object',
          properties: {
            email: { type: 'string', format: 'email', maxLength: 320 },
            firstName: { type: 'string', minLength: 1, maxLength: NAME_MAX },
            lastName: { type: 'string', minLength: 1, maxLength: NAME_MAX },
            currentPassword: { type: 'string', minLength: 1, maxLength: PASSWORD_MAX },
            password: { type: 'string' },
          },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const { user } = principalOf(request);
      const body = request.body;
      if (body.password !== undefined) {
        // A new password ends every session and every API token (R1.4), this
        // one too, and needs the current password: the account page does it.
        throw new ApiError(400, 'password: change your password on the account page (/account). It asks for your current password, and ends your other sessions and every API token.');
      }
      const name = newName(user, body);
      if (name === '') throw new ApiError(400, 'firstName, lastName: your name cannot be blank.');
      if (name !== null && name.length > NAME_MAX) throw new ApiError(400, `firstName, lastName: your name can be at most ${NAME_MAX} characters.`);
      const email = body.email?.trim().toLowerCase();
      if (email !== undefined && email !== user.email) {
        if (body.currentPassword === undefined) throw new ApiError(400, 'currentPassword: a new email address needs your current password, as on the account page.');
        const admitted = await deps.limiter.take(rules.accountPasswordChecksByUser, String(user.id));
        if (!admitted.ok) {
          const seconds = retryAfterSeconds(admitted.retryAfterMs);
          reply.header('Retry-After', String(seconds));
          throw new ApiError(429, `Too many attempts. Wait ${seconds} second${seconds === 1 ? '' : 's'} and try again.`);
        }
        const result = await requestEmailChange(deps, user, { email, currentPassword: body.currentPassword });
        if (!result.ok) {
          if (result.reason === 'wrong_password') throw new ApiError(400, 'currentPassword: your current password is not correct.');
          if (result.reason === 'email_taken') throw new ApiError(409, 'email: another account uses this email address.');
          // same_email: nothing to change.
        }
      }
      if (name !== null && name !== user.name) await updateProfile(db, user.id, { name, timeZone: user.timeZone });
      return presentMeNow(user.id);
    },
  );

  api.get<{ Querystring: { start?: string; end?: string } }>(
    '/me/payloadCounts',
    {
      config: { action: 'me.payloadCounts' },
      schema: {
        tags: ['me'],
        summary: `Payloads your Sandbox's applications sent (me.payloadCounts): by default in the Sandbox's current monthly period; with start and end (ms since epoch; start defaults to the period's start, end to now) in the UTC days that overlap that range, at most ${PAYLOAD_COUNTS_MAX_DAYS} days`,
        querystring: {
          type: 'object',
          properties: { start: { type: 'string', pattern: '^\\d{1,15}$' }, end: { type: 'string', pattern: '^\\d{1,15}$' } },
        },
      },
    },
    async (request) => {
      const { user } = principalOf(request);
      const owner: Owner = { kind: 'sandbox', userId: user.id };
      const now = clock.now();
      let payloads: number;
      if (request.query.start === undefined && request.query.end === undefined) {
        const period = await usagePeriodOf(db, owner, now);
        payloads = (await usageTotals(db, owner, period.start)).payloads;
      } else {
        const end = request.query.end === undefined ? now.getTime() : Number(request.query.end);
        const start = request.query.start === undefined ? (await usagePeriodOf(db, owner, now)).start.getTime() : Number(request.query.start);
        if (end <= start) throw new ApiError(400, 'end must be after start.');
        if (end - start > PAYLOAD_COUNTS_MAX_DAYS * DAY_MS) throw new ApiError(400, `start to end can span at most ${PAYLOAD_COUNTS_MAX_DAYS} days.`);
        payloads = (await dailyPayloads(db, owner, { start: new Date(start), end: new Date(end) })).reduce((sum, d) => sum + d.payloads, 0);
      }
      // Losant counts by kind and source; Orgplane's only kind is device state, sent over HTTP (R8.1) — as org.payloadCounts.
      return { deviceState: { http: payloads } };
    },
  );

  api.patch<{ Body: ResourceTransfer }>(
    '/me/transferResources',
    {
      config: { action: 'me.transferResources' },
      schema: {
        tags: ['me'],
        summary: 'Move applications and dashboards of your Sandbox to an organization you administer, all or none, within its plan’s limits (me.transferResources)',
        body: {
          type: 'object',
          properties: {
            destinationId: apiIdSchema,
            destinationType: { type: 'string', enum: ['user', 'organization'] },
            applicationIds: wireIdList,
            dashboardIds: wireIdList,
            strict: { type: 'boolean' },
          },
          required: ['destinationId', 'destinationType'],
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { user } = principalOf(request);
      const body = request.body;
      if (body.destinationType !== 'organization') {
        throw new ApiError(400, 'destinationType: me.transferResources moves your Sandbox’s resources to an organization; to move an organization’s into your Sandbox use org.transferResources.');
      }
      const applicationIds = (body.applicationIds ?? []).map((id) => fromApiId(id));
      const dashboardIds = (body.dashboardIds ?? []).map((id) => fromApiId(id));
      if (applicationIds.length + dashboardIds.length === 0) throw new ApiError(400, 'applicationIds, dashboardIds: name at least one application or dashboard to move.');
      const orgId = fromApiId(body.destinationId);
      const membership = orgId === null ? undefined : (await organizationsOfUser(db, user.id)).find((o) => o.id === orgId);
      if (!membership) throw apiNotFound('Organization');
      if (!can(membership.role as Role, 'settings.manage')) throw new ApiError(403, `Only Administrators of ${membership.name} can move resources into it.`);
      const to: Owner = { kind: 'organization', organizationId: membership.id };
      if ((await billingStatusOf(db, to)) === 'unpaid') throw new ApiError(402, `${membership.name} is Unpaid and takes in no applications or dashboards until it pays.`);
      const from: Owner = { kind: 'sandbox', userId: user.id };
      const targets = await transferTargets(db, user, from);
      // All or none: each move is the page's use case; one refusal undoes the ones before it.
      await db.transaction(async (trx) => {
        for (const [i, id] of applicationIds.entries()) {
          const result = id === null ? ({ ok: false, reason: 'not_allowed' } as const) : await transferApplication(trx, clock, { actor: user, applicationId: id, from, to, allowedTargets: targets });
          if (!result.ok) throw transferRefusal(result, 'Application', body.applicationIds![i]!, membership.name);
        }
        for (const [i, id] of dashboardIds.entries()) {
          const result = id === null ? ({ ok: false, reason: 'not_allowed' } as const) : await transferDashboard(trx, clock, { actor: user, dashboardId: id, from, to, allowedTargets: targets });
          if (!result.ok) throw transferRefusal(result, 'Dashboard', body.dashboardIds![i]!, membership.name);
        }
      });
      return { success: true };
    },
  );
}

/** The name a patch makes: the words it names, the rest as they were; null when it names none. */
function newName(user: User, body: MePatch): string | null {
  if (body.firstName === undefined && body.lastName === undefined) return null;
  const now = nameParts(user.name);
  return [(body.firstName ?? now.firstName ?? '').trim(), (body.lastName ?? now.lastName ?? '').trim()].filter((s) => s !== '').join(' ');
}

function transferRefusal(
  result: { reason: 'limit'; message: string } | { reason: 'not_allowed' } | { reason: 'owner_unpaid'; side: 'from' | 'to' },
  what: 'Application' | 'Dashboard',
  wireId: string,
  orgName: string,
): ApiError {
  switch (result.reason) {
    case 'limit':
      return new ApiError(409, result.message);
    case 'not_allowed':
      return new ApiError(404, `${what} ${wireId} was not found in your Sandbox. Nothing was moved.`);
    case 'owner_unpaid':
      return new ApiError(402, `${orgName} is Unpaid and takes in nothing until it pays. Nothing was moved.`);
  }
}
