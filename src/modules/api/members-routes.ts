import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { assertNever } from '../../assert-never.ts';
import { normalizeEmail } from '../accounts/queries.ts';
import { listApplicationsOf } from '../applications/queries.ts';
import { listAuditEvents, type AuditFilter, type AuditOrder } from '../audit/queries.ts';
import { listDashboardsOf } from '../dashboards/queries.ts';
import { inviteMember } from '../invitations/invite-member.ts';
import { revokeInvitation } from '../invitations/manage-invitation.ts';
import { invitationResourceRoles, listPendingInvitations } from '../invitations/queries.ts';
import { acceptInvitation, declineInvitation, openInvitation, type InvitationGone } from '../invitations/respond-to-invitation.ts';
import { changeRole } from '../members/change-role.ts';
import { removeMember } from '../members/remove-member.ts';
import { setResourceRoles, type OrgResource } from '../members/set-resource-roles.ts';
import { retryAfterSeconds } from '../rate-limits/gcra.ts';
import { clientSubject } from '../rate-limits/http.ts';
import { rateLimitRules } from '../rate-limits/rules.ts';
import { listMembers, type ResourceRoleChange } from '../tenancy/queries/memberships.ts';
import type { Organization } from '../tenancy/queries/organizations.ts';
import type { OrgAction, ResourceRole } from '../tenancy/policy.ts';
import { ApiError, apiNotFound, apiValidation } from './errors.ts';
import { apiIdSchema, fromApiId, toApiId } from './ids.ts';
import { listQuerySchema } from './list.ts';
import { apiOrganizationFor as organizationFor } from './orgs-access.ts';
import { presentAuditEntry, presentInvitation, presentInvitationInfo } from './present-members.ts';
import { presentOrg, summaryFields, summaryQuery, type SummaryQuery } from './present-orgs.ts';
import { optionalPrincipalOf, principalOf } from './principal.ts';
import { apiRoleSchema, roleFromApi, type ApiRole } from './roles.ts';

/**
 * R16.1, R16.3: `org` pendingInvites, inviteMember, revokeInvite,
 * modifyMember, removeMember; `orgInvites` get and post; `auditLogs` get.
 * Each calls the use case its page calls (members/routes.ts,
 * invitations/invite-routes.ts and routes.ts) with the same roles: members, invitations and the
 * audit log are for Administrators (R2.1, R4.5).
 */

const resourceRolesSchema = {
  type: 'array',
  maxItems: 1000,
  items: {
    type: 'object',
    properties: { resourceId: apiIdSchema, role: { type: 'string', enum: ['collaborate', 'view', 'none'] } },
    required: ['resourceId', 'role'],
    additionalProperties: false,
  },
} as const;

type ResourceRoleInput = { resourceId: string; role: 'collaborate' | 'view' | 'none' }[];

const orgParams = { type: 'object', properties: { orgId: apiIdSchema }, required: ['orgId'] } as const;

const GONE_MESSAGES: Record<InvitationGone, string> = {
  expired: 'This invitation has expired. Ask an Administrator of the organization to renew it.',
  used: 'This invitation has already been used.',
  revoked: 'This invitation was withdrawn and no longer works. Ask an Administrator of the organization for a new one.',
};

const invitationNotFound = () => apiNotFound('The invitation');

export async function membersRoutes(api: FastifyInstance): Promise<void> {
  const deps = api.deps;
  const { db, clock } = deps;
  const rules = rateLimitRules(deps.config);

  /** The organization as the token's user sees it (orgs-access.ts: strangers 404, a role too low 403), and that user. */
  const apiOrganizationFor = async (request: FastifyRequest, orgId: string, action: OrgAction) => ({
    ...(await organizationFor(request, orgId, action)),
    user: principalOf(request).user,
  });

  /** The applications and dashboards an organization owns, for per-resource roles (R2.2). */
  async function orgResources(organizationId: number): Promise<OrgResource[]> {
    const owner = { kind: 'organization' as const, organizationId };
    const [apps, dashboards] = await Promise.all([listApplicationsOf(db, owner), listDashboardsOf(db, owner)]);
    return [...apps.map((a) => ({ type: 'application' as const, id: a.id, name: a.name })), ...dashboards.map((d) => ({ type: 'dashboard' as const, id: d.id, name: d.name }))];
  }

  /**
   * Losant's `applicationRoles` / `dashboardRoles` as changes: a list names
   * the member's every override of that kind (a resource left out goes back
   * to the organization role); an absent list changes nothing. Every id must
   * be a resource of the organization, or nothing is changed (400).
   */
  function resourceRoleChanges(
    organization: Organization,
    resources: OrgResource[],
    lists: { applicationRoles?: ResourceRoleInput; dashboardRoles?: ResourceRoleInput },
  ): ResourceRoleChange[] {
    const changes: ResourceRoleChange[] = [];
    for (const [field, type] of [['applicationRoles', 'application'], ['dashboardRoles', 'dashboard']] as const) {
      const list = lists[field];
      if (!list) continue;
      const given = new Map<number, ResourceRole>();
      list.forEach((entry, i) => {
        const id = fromApiId(entry.resourceId);
        const resource = id === null ? undefined : resources.find((r) => r.type === type && r.id === id);
        if (!resource || id === null) throw apiValidation(`${field}[${i}].resourceId is not ${type === 'application' ? 'an application' : 'a dashboard'} of ${organization.name}.`);
        if (given.has(id)) throw apiValidation(`${field} names ${resource.name} twice.`);
        given.set(id, roleFromApi(entry.role) as ResourceRole);
      });
      for (const r of resources) if (r.type === type) changes.push({ type, id: r.id, role: given.get(r.id) ?? null });
    }
    return changes;
  }

  async function pendingList(organizationId: number) {
    const now = clock.now();
    const invitations = await listPendingInvitations(db, organizationId);
    return Promise.all(invitations.map(async (i) => presentInvitation(i, await invitationResourceRoles(db, i.id), now)));
  }

  /** The organization after a member change, as org.get answers it (org.json). */
  const orgAfter = (ctx: { organization: Organization; role: Parameters<typeof presentOrg>[2]['role']; user: { id: number } }, query: SummaryQuery) =>
    presentOrg(db, ctx.organization, { role: ctx.role, userId: ctx.user.id, now: clock.now(), summaryFields: summaryFields(query) });

  const tooMany = (reply: FastifyReply, retryAfterMs: number, message: string) => {
    const seconds = retryAfterSeconds(retryAfterMs);
    reply.header('Retry-After', String(seconds));
    return new ApiError(429, `${message} Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`);
  };

  // --- org.pendingInvites: R4.2, the invitations the Members page lists.
  api.get<{ Params: { orgId: string } }>(
    '/orgs/:orgId/invites',
    { config: { action: 'org.pendingInvites' }, schema: { tags: ['org'], summary: 'Pending and expired invitations of an organization (org.pendingInvites)', params: orgParams } },
    async (request) => {
      const ctx = await apiOrganizationFor(request, request.params.orgId, 'members.manage');
      return pendingList(ctx.organization.id);
    },
  );

  // --- org.inviteMember: R4.1, R4.3, R7.3, R13.1 — the Members page's Invite Member.
  type InviteBody = { email: string; role: ApiRole; applicationRoles?: ResourceRoleInput; dashboardRoles?: ResourceRoleInput };
  api.post<{ Params: { orgId: string }; Body: InviteBody }>(
    '/orgs/:orgId/invites',
    {
      config: { action: 'org.inviteMember' },
      schema: {
        tags: ['org'],
        summary: 'Invite someone to an organization by email, with a role (org.inviteMember)',
        params: orgParams,
        body: {
          type: 'object',
          properties: {
            email: { type: 'string', format: 'email', maxLength: 320 },
            role: apiRoleSchema,
            applicationRoles: resourceRolesSchema,
            dashboardRoles: resourceRolesSchema,
          },
          required: ['email', 'role'],
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const ctx = await apiOrganizationFor(request, request.params.orgId, 'members.manage');
      // R13.1: the same bucket as the page's invitations, per inviting user.
      const admitted = await deps.limiter.take(rules.invitationsByUser, String(ctx.user.id));
      if (!admitted.ok) throw tooMany(reply, admitted.retryAfterMs, 'You have sent many invitations in a short time.');
      const body = request.body;
      const resources = body.applicationRoles || body.dashboardRoles ? await orgResources(ctx.organization.id) : [];
      const grants = resourceRoleChanges(ctx.organization, resources, body).flatMap((c) => (c.role ? [{ type: c.type, id: c.id, role: c.role }] : []));
      const result = await inviteMember(deps, { organization: ctx.organization, inviter: ctx.user, email: body.email, role: roleFromApi(body.role), resourceRoles: grants });
      if (!result.ok) {
        const email = normalizeEmail(body.email);
        switch (result.reason) {
          case 'already_member':
            throw new ApiError(409, `${email} is already a member of ${ctx.organization.name}.`);
          case 'already_invited':
            throw new ApiError(409, `${email} already has a pending invitation. Revoke it first, or renew it on the Members page to send a new link.`);
          case 'invitation_expired':
            throw new ApiError(409, `${email} has an expired invitation. Renew it on the Members page, or revoke it and invite again.`);
          case 'member_limit':
            throw new ApiError(
              409,
              `The ${result.planName} plan of ${ctx.organization.name} allows ${result.limit} members, counting pending invitations, and that limit is reached. Upgrade the plan or revoke a pending invitation.`,
            );
          default:
            return assertNever(result);
        }
      }
      return pendingList(ctx.organization.id);
    },
  );

  // --- org.revokeInvite: R4.2.
  api.delete<{ Params: { orgId: string }; Querystring: { inviteId: string } }>(
    '/orgs/:orgId/invites',
    {
      config: { action: 'org.revokeInvite' },
      schema: {
        tags: ['org'],
        summary: 'Revoke a pending invitation: its link stops working (org.revokeInvite)',
        params: orgParams,
        querystring: { type: 'object', properties: { inviteId: apiIdSchema }, required: ['inviteId'] },
      },
    },
    async (request) => {
      const ctx = await apiOrganizationFor(request, request.params.orgId, 'members.manage');
      const invitationId = fromApiId(request.query.inviteId);
      if (invitationId === null) throw invitationNotFound();
      const result = await revokeInvitation(deps, { organization: ctx.organization, actor: ctx.user, invitationId });
      if (!result.ok) throw apiNotFound('That invitation is not pending; it');
      return pendingList(ctx.organization.id);
    },
  );

  async function memberOf(organization: Organization, wireUserId: string) {
    const userId = fromApiId(wireUserId);
    const target = userId === null ? undefined : (await listMembers(db, organization.id)).find((m) => m.userId === userId);
    if (!target) throw apiNotFound(`A member with that userId in ${organization.name}`);
    return target;
  }

  // --- org.modifyMember: R2.2, R2.3, R4.4 — the Members page's role picker and a member's resource access.
  type MemberPatch = { userId: string; role?: ApiRole; applicationRoles?: ResourceRoleInput; dashboardRoles?: ResourceRoleInput };
  api.patch<{ Params: { orgId: string }; Body: MemberPatch; Querystring: SummaryQuery }>(
    '/orgs/:orgId/member',
    {
      config: { action: 'org.modifyMember' },
      schema: {
        tags: ['org'],
        summary: 'Change a member’s role and per-resource roles (org.modifyMember)',
        params: orgParams,
        querystring: { type: 'object', properties: summaryQuery },
        body: {
          type: 'object',
          properties: { userId: apiIdSchema, role: apiRoleSchema, applicationRoles: resourceRolesSchema, dashboardRoles: resourceRolesSchema },
          required: ['userId'],
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const ctx = await apiOrganizationFor(request, request.params.orgId, 'members.manage');
      const body = request.body;
      if (body.role === undefined && !body.applicationRoles && !body.dashboardRoles) throw apiValidation('Send role, applicationRoles or dashboardRoles: what to change.');
      const target = await memberOf(ctx.organization, body.userId);
      const targetLabel = `${target.name} <${target.email}>`;
      // Checked before anything changes: a bad resource id changes nothing.
      const resources = body.applicationRoles || body.dashboardRoles ? await orgResources(ctx.organization.id) : [];
      const changes = resourceRoleChanges(ctx.organization, resources, body);
      if (body.role !== undefined) {
        const result = await changeRole(db, clock, { organizationId: ctx.organization.id, actor: ctx.user, targetUserId: target.userId, targetLabel, role: roleFromApi(body.role) });
        if (!result.ok) {
          switch (result.reason) {
            case 'not_a_member':
              throw apiNotFound(`A member with that userId in ${ctx.organization.name}`);
            case 'own_role':
              throw new ApiError(409, 'You cannot change your own role. Ask another Administrator to do it.');
            case 'last_administrator':
              throw new ApiError(409, `${target.name} is the last Administrator of ${ctx.organization.name}. Make another member an Administrator first.`);
            default:
              return assertNever(result.reason);
          }
        }
      }
      if (body.applicationRoles || body.dashboardRoles) {
        const result = await setResourceRoles(db, clock, { organizationId: ctx.organization.id, actor: ctx.user, targetUserId: target.userId, targetLabel, resources, changes });
        if (!result.ok) throw apiNotFound(`A member with that userId in ${ctx.organization.name}`);
      }
      return orgAfter(ctx, request.query);
    },
  );

  // --- org.removeMember: R2.3, R4.4.
  api.delete<{ Params: { orgId: string }; Querystring: { userId: string } & SummaryQuery }>(
    '/orgs/:orgId/member',
    {
      config: { action: 'org.removeMember' },
      schema: {
        tags: ['org'],
        summary: 'Remove a member; their account and Sandbox stay (org.removeMember)',
        params: orgParams,
        querystring: { type: 'object', properties: { userId: apiIdSchema, ...summaryQuery }, required: ['userId'] },
      },
    },
    async (request) => {
      const ctx = await apiOrganizationFor(request, request.params.orgId, 'members.manage');
      const target = await memberOf(ctx.organization, request.query.userId);
      const result = await removeMember(db, clock, { organizationId: ctx.organization.id, actor: ctx.user, targetUserId: target.userId, targetLabel: `${target.name} <${target.email}>` });
      if (!result.ok) {
        switch (result.reason) {
          case 'not_a_member':
            throw apiNotFound(`A member with that userId in ${ctx.organization.name}`);
          case 'self':
            throw new ApiError(409, 'You cannot remove yourself. To leave the organization, use Leave Organization on its overview page.');
          case 'last_administrator':
            throw new ApiError(409, `${target.name} is the last Administrator of ${ctx.organization.name} and cannot be removed.`);
          default:
            return assertNever(result.reason);
        }
      }
      return orgAfter(ctx, request.query);
    },
  );

  // --- orgInvites: the invitation link's page (R4.1) for a client. The token is the proof.
  const byAddress = async (request: FastifyRequest, reply: FastifyReply) => {
    const admitted = await deps.limiter.take(rules.apiInvitationsByAddress, clientSubject(request));
    if (!admitted.ok) throw tooMany(reply, admitted.retryAfterMs, 'Too many invitation requests from your address.');
  };

  /** The invitation a token and its email name, or the refusal: unknown token or another email → 404, spent → 410. */
  async function openFor(token: string, email: string) {
    const opened = await openInvitation(deps, token);
    if (!opened.ok) {
      if (opened.reason === 'not_found') throw invitationNotFound();
      throw new ApiError(410, GONE_MESSAGES[opened.reason]);
    }
    if (normalizeEmail(email) !== normalizeEmail(opened.invitation.email)) throw invitationNotFound();
    return opened;
  }

  const tokenSchema = { type: 'string', minLength: 1, maxLength: 200 } as const;
  const emailSchema = { type: 'string', minLength: 1, maxLength: 1024 } as const;

  api.get<{ Querystring: { token: string; email: string } }>(
    '/invites',
    {
      schema: {
        tags: ['orgInvites'],
        summary: 'What an invitation offers: organization, role, dates (orgInvites.get; no API token needed)',
        security: [],
        querystring: { type: 'object', properties: { token: tokenSchema, email: emailSchema }, required: ['token', 'email'] },
      },
    },
    async (request, reply) => {
      await byAddress(request, reply);
      const opened = await openFor(request.query.token, request.query.email);
      reply.header('Cache-Control', 'no-store');
      return presentInvitationInfo(opened.invitation, opened.organization);
    },
  );

  api.post<{ Body: { email: string; token: string; accept: boolean } }>(
    '/invites',
    {
      config: { action: 'orgInvites.post', tokenOptional: true },
      schema: {
        tags: ['orgInvites'],
        summary: 'Accept (needs the API token of the user who joins) or decline (no token needed) an invitation (orgInvites.post)',
        body: {
          type: 'object',
          properties: { email: emailSchema, token: tokenSchema, accept: { type: 'boolean' } },
          required: ['email', 'token', 'accept'],
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const principal = optionalPrincipalOf(request);
      if (!principal) await byAddress(request, reply);
      const { token, email, accept } = request.body;
      if (accept && !principal) {
        reply.header('WWW-Authenticate', 'Bearer realm="Orgplane API"');
        throw new ApiError(401, 'Accepting an invitation needs an account: send the API token of the user who joins (POST /api/auth/user). Declining needs none.');
      }
      const opened = await openFor(token, email);
      const orgId = toApiId(opened.organization.id);
      if (!accept) {
        const declined = await declineInvitation(deps, token, principal?.user ?? null);
        if (!declined.ok) throw declined.reason === 'not_found' ? invitationNotFound() : new ApiError(410, GONE_MESSAGES[declined.reason]);
        return { accepted: false, orgId };
      }
      const result = await acceptInvitation(deps, token, principalOf(request).user);
      if (!result.ok) {
        switch (result.reason) {
          case 'not_found':
            throw invitationNotFound();
          case 'expired':
          case 'used':
          case 'revoked':
            throw new ApiError(410, GONE_MESSAGES[result.reason]);
          case 'already_member':
            throw new ApiError(409, `You already belong to ${opened.organization.name}, so the invitation was left for someone else to use or for an Administrator to revoke.`);
          case 'member_limit':
            throw new ApiError(409, `${opened.organization.name}’s ${result.planName} plan allows ${result.limit} members and all places are taken. Ask an Administrator to upgrade the plan or free a place.`);
          default:
            return assertNever(result);
        }
      }
      return { accepted: true, orgId };
    },
  );

  // --- auditLogs.get: R4.5, the Audit Log page's entries (Administrators).
  type AuditQuery = { sortField?: string; sortDirection?: string; page?: number; perPage?: number; start?: string; end?: string } & Record<string, unknown>;
  api.get<{ Params: { orgId: string }; Querystring: AuditQuery }>(
    '/orgs/:orgId/audit-logs',
    {
      config: { action: 'auditLogs.get' },
      schema: {
        tags: ['auditLogs'],
        summary: 'The organization’s audit log, newest first (auditLogs.get)',
        params: orgParams,
        querystring: {
          type: 'object',
          properties: {
            sortField: { type: 'string', enum: ['creationDate', 'actorName', ''] },
            sortDirection: listQuerySchema.sortDirection,
            page: listQuerySchema.page,
            perPage: listQuerySchema.perPage,
            start: { type: 'string', maxLength: 40 },
            end: { type: 'string', maxLength: 40 },
          },
        },
      },
    },
    async (request) => {
      const ctx = await apiOrganizationFor(request, request.params.orgId, 'settings.manage');
      const q = request.query;
      const filter: AuditFilter = { ...auditLogFilterOf(q) };
      const start = instantOf('start', q.start);
      const end = instantOf('end', q.end);
      if (start && end && start.getTime() > end.getTime()) throw apiValidation('start must not be after end.');
      if (start) filter.from = start;
      if (end) filter.to = new Date(end.getTime() + 1); // Losant's end is inclusive; the log's interval is [from, to).
      const sortField = q.sortField || 'creationDate';
      const sortDirection = String(q.sortDirection || 'desc').toLowerCase() === 'asc' ? 'asc' : 'desc';
      const perPage = q.perPage ?? 100;
      const page = q.page ?? 0;
      const order: AuditOrder = { by: sortField === 'actorName' ? 'actor' : 'time', direction: sortDirection };
      const { events, total } = await listAuditEvents(db, ctx.organization.id, { limit: perPage, offset: page * perPage }, filter, order);
      return {
        items: events.map((e) => presentAuditEntry(e, ctx.organization.id)),
        count: events.length,
        totalCount: total,
        perPage,
        page,
        sortField,
        sortDirection,
        orgId: toApiId(ctx.organization.id),
      };
    },
  );
}

/** `start` / `end`: milliseconds since 1970 (Losant's form) or an ISO 8601 date-time. */
function instantOf(field: string, value: string | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = /^\d{1,15}$/.test(value) ? Number(value) : /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms) || ms > 8.64e15) throw apiValidation(`${field} must be a time in milliseconds since 1970 or an ISO 8601 date-time.`);
  return new Date(ms);
}

/**
 * Losant's `auditLogFilter`, as the client sends it (`auditLogFilter[actor][0][name]=…`):
 * Orgplane's log narrows to one actor (`actor[].name`, as the log names them)
 * and one action (`request[].resource` and `.action`, the two halves of the
 * action, as the entries give them). Other filters are refused, not ignored.
 */
function auditLogFilterOf(query: Record<string, unknown>): AuditFilter {
  const parts = new Map<string, Map<number, Record<string, string>>>();
  for (const [key, raw] of Object.entries(query)) {
    if (!key.startsWith('auditLogFilter')) continue;
    const m = /^auditLogFilter\[(\w+)\]\[(\d{1,3})\]\[(\w+)\]$/.exec(key);
    if (!m || typeof raw !== 'string') throw apiValidation(`${key} is not a filter Orgplane knows: use auditLogFilter[actor][0][name] or auditLogFilter[request][0][resource] and [action].`);
    const [, group, index, field] = m as unknown as [string, string, string, string];
    if (!(group === 'actor' && field === 'name') && !(group === 'request' && (field === 'resource' || field === 'action'))) {
      throw apiValidation(`auditLogFilter.${group}.${field} is not supported: Orgplane filters the log by actor name and by request resource and action.`);
    }
    const byIndex = parts.get(group) ?? new Map<number, Record<string, string>>();
    byIndex.set(Number(index), { ...byIndex.get(Number(index)), [field]: raw });
    parts.set(group, byIndex);
  }
  const filter: AuditFilter = {};
  const actors = [...(parts.get('actor')?.values() ?? [])];
  if (actors.length > 1) throw apiValidation('auditLogFilter.actor: Orgplane filters by one actor at a time.');
  if (actors[0]) filter.actor = actors[0].name!.slice(0, 400);
  const requests = [...(parts.get('request')?.values() ?? [])];
  if (requests.length > 1) throw apiValidation('auditLogFilter.request: Orgplane filters by one action at a time.');
  if (requests[0]) {
    const { resource, action } = requests[0];
    if (!resource || !action) throw apiValidation('auditLogFilter.request needs both resource and action (e.g. invitation and sent).');
    filter.action = `${resource}.${action}`.slice(0, 400);
  }
  return filter;
}
