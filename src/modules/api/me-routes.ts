import type { FastifyInstance } from 'fastify';
import { findUserById, pendingEmailChange, type User } from '../accounts/queries.ts';
import { requestEmailChange } from '../accounts/request-email-change.ts';
import { NAME_MAX, PASSWORD_MAX } from '../accounts/schemas.ts';
import { updateProfile } from '../accounts/update-profile.ts';
import { transferResources } from '../organizations/transfer-resources.ts';
import { assertNever } from '../../assert-never.ts';
import type { Owner } from '../owners/columns.ts';
import { usagePeriodOf } from '../owners/owner-period.ts';
import { retryAfterSeconds } from '../rate-limits/gcra.ts';
import { rateLimitRules } from '../rate-limits/rules.ts';
import { can, type Role } from '../tenancy/policy.ts';
import { organizationsOfUser } from '../tenancy/queries/organizations.ts';
import { payloadsOverDays, usageTotals } from '../usage/queries.ts';
import { ApiError, apiNotFound } from './errors.ts';
import { apiIdSchema, fromApiId, toApiId } from './ids.ts';
import { presentPayloadCounts } from './present-orgs.ts';
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
          switch (result.reason) {
            case 'wrong_password':
              throw new ApiError(400, 'currentPassword: your current password is not correct.');
            case 'email_taken':
              throw new ApiError(409, 'email: another account uses this email address.');
            case 'same_email':
              break; // nothing to change
            default:
              return assertNever(result.reason);
          }
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
        summary: `Payloads your Sandbox's applications sent (me.payloadCounts): by default in the Sandbox's current monthly period; with start and end (ms since epoch; start defaults to the period's start, end to now) in the UTC days that overlap that range`,
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
      const period = await usagePeriodOf(db, owner, now);
      const { start, end } = request.query;
      // The same counters and answer as org.payloadCounts: the period's from usage_counters, a range's from the daily counters.
      if (start === undefined && end === undefined) return presentPayloadCounts((await usageTotals(db, owner, period.start)).payloads);
      const range = { start: new Date(start === undefined ? period.start.getTime() : Number(start)), end: new Date(end === undefined ? now.getTime() : Number(end)) };
      if (range.end.getTime() <= range.start.getTime()) throw new ApiError(400, 'end must be after start.');
      return presentPayloadCounts(await payloadsOverDays(db, owner, range));
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
      const ids = (list: string[] | undefined, field: string) =>
        (list ?? []).map((raw) => {
          const id = fromApiId(raw);
          if (id === null) throw new ApiError(404, `${field}: ${raw} is not one of your Sandbox's resources. Nothing was moved.`);
          return id;
        });
      const applicationIds = ids(body.applicationIds, 'applicationIds');
      const dashboardIds = ids(body.dashboardIds, 'dashboardIds');
      if (applicationIds.length + dashboardIds.length === 0) throw new ApiError(400, 'applicationIds, dashboardIds: name at least one application or dashboard to move.');
      const orgId = fromApiId(body.destinationId);
      const membership = orgId === null ? undefined : (await organizationsOfUser(db, user.id)).find((o) => o.id === orgId);
      if (!membership) throw apiNotFound('Organization');
      if (!can(membership.role as Role, 'settings.manage')) throw new ApiError(403, `Only Administrators of ${membership.name} can move resources into it.`);
      const to: Owner = { kind: 'organization', organizationId: membership.id };
      // All or none, through the Transfer pages' use cases (R5.4): limits, Unpaid, audit entries.
      const result = await transferResources(db, clock, { actor: user, from: { kind: 'sandbox', userId: user.id }, to, applicationIds, dashboardIds });
      if (!result.ok) {
        switch (result.reason) {
          case 'not_found':
            throw new ApiError(404, `${result.type === 'application' ? 'applicationIds' : 'dashboardIds'}: ${toApiId(result.id)} is not one of your Sandbox's ${result.type}s. Nothing was moved.`);
          case 'not_allowed':
            throw new ApiError(403, `Only Administrators of ${membership.name} can move resources into it.`);
          case 'limit':
            throw new ApiError(409, result.message);
          case 'owner_unpaid':
            throw new ApiError(402, `${membership.name} is Unpaid and takes in nothing until it pays. Nothing was moved.`);
          default:
            return assertNever(result);
        }
      }
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
