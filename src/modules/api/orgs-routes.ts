import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import { assertNever } from '../../assert-never.ts';
import { fieldErrors } from '../../http/forms.ts';
import { changePlan, isCurrentPlan, previewPlanChange } from '../billing/change-plan.ts';
import { findBillingAccount } from '../owners/queries/billing-accounts.ts';
import { describeReactivationFailure } from '../billing/reactivate.ts';
import { replaceCard } from '../billing/replace-card.ts';
import { updateBillingDetails } from '../billing/update-billing-details.ts';
import { createOrganizationAtOnce } from '../organizations/create-organization.ts';
import { deleteOrganization } from '../organizations/delete-organization.ts';
import { billingEmail as billingEmailSchema, generalSettingsSchema, organizationDetailsSchema } from '../organizations/schemas.ts';
import { transferResources } from '../organizations/transfer-resources.ts';
import { updateGeneralSettings } from '../organizations/update-general.ts';
import type { Owner } from '../owners/owner.ts';
import { usagePeriodOf } from '../owners/owner-period.ts';
import { availablePlans, listTiers } from '../plans/queries.ts';
import { findOrganizationById, organizationsOfUser } from '../tenancy/queries/organizations.ts';
import { DEFAULT_ICON_COLOR, ICON_PALETTE } from '../tenancy/icon.ts';
import type { Role } from '../tenancy/policy.ts';
import { payloadsOverDays, usageTotals } from '../usage/queries.ts';
import { ApiError, apiValidation } from './errors.ts';
import { apiIdSchema, fromApiId, toApiId } from './ids.ts';
import { listEnvelope, listQuerySchema, type ListQuery } from './list.ts';
import { apiOrganizationFor } from './orgs-access.ts';
import { presentOrg, presentPayloadCounts, summaryFields, summaryQuery, type SummaryQuery } from './present-orgs.ts';
import { isoDate } from './present.ts';
import { principalOf } from './principal.ts';

/**
 * R16.1, R16.3: `orgs` (get, post) and `org` (get, patch, delete,
 * payloadCounts, transferResources), each a thin adapter over the use case
 * the pages call: the wizard's Create Organization and first charge, the
 * General settings, Billing Plan (the same proration, applied at once: the
 * API has no preview step), Billing Details, Payment Method, Usage, Delete
 * Organization and the Transfer pages.
 *
 * `planId` on the wire is a plan's code: `starter`, `professional`,
 * `business` (or an organization's custom plan's code). `cardToken` is a
 * card token: Stripe's test tokens (`tok_visa`, `tok_chargeDeclined`, …) on
 * the simulated gateway, a Stripe token with Stripe.
 */

const orgParams = { type: 'object', required: ['orgId'], properties: { orgId: apiIdSchema } } as const;
type OrgParams = { orgId: string };

const name = { type: 'string', minLength: 1, maxLength: 255 } as const;
const description = { type: 'string', maxLength: 32_767 } as const;
const planId = { type: 'string', minLength: 1, maxLength: 64 } as const;
const billingEmail = { type: 'string', minLength: 1, maxLength: 320 } as const;
const cardToken = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9_]+$' } as const;
const iconColor = { type: 'string', maxLength: 64 } as const;

interface OrgBody {
  name?: string;
  description?: string;
  planId?: string;
  billingEmail?: string;
  cardToken?: string;
  iconColor?: string;
}

const ICON_COLORS = ICON_PALETTE.map((c) => c.value).join(', ');

/** The first problem zod found, as an API message naming the wire field. */
function firstProblem(errors: Record<string, string>): string {
  const wire: Record<string, string> = { icon_color: 'iconColor', billing_email: 'billingEmail' };
  const [field, message] = Object.entries(errors)[0] ?? ['body', 'The body is not valid.'];
  const named = wire[field] ?? field;
  return named === 'iconColor' ? `iconColor: ${message} One of ${ICON_COLORS}.` : `${named}: ${message}`;
}

export async function orgsRoutes(api: FastifyInstance): Promise<void> {
  const { db, clock } = api.deps;

  const planCodes = async () => (await listTiers(db)).map((p) => p.code).join(', ');

  // --- orgs.get: the user's organizations (R3.1).
  api.get<{ Querystring: ListQuery & SummaryQuery }>(
    '/orgs',
    {
      config: { action: 'orgs.get' },
      schema: { tags: ['orgs'], summary: 'The organizations you are a member of (orgs.get)', querystring: { type: 'object', properties: { ...listQuerySchema, ...summaryQuery } } },
    },
    async (request) => {
      const user = principalOf(request).user;
      const orgs = await organizationsOfUser(db, user.id);
      const rows = orgs.map((o) => ({ id: toApiId(o.id), orgId: toApiId(o.id), name: o.name, description: o.description, iconColor: o.iconColor, creationDate: isoDate(o.createdAt), org: o }));
      const page = listEnvelope(rows, request.query, { fields: ['id', 'orgId', 'name', 'description', 'iconColor', 'creationDate'], defaultSort: 'name' });
      const now = clock.now();
      const items = await Promise.all(
        page.items.map((row) => presentOrg(db, row.org, { role: row.org.role as Role, userId: user.id, now, summaryFields: summaryFields(request.query) })),
      );
      return { ...page, items };
    },
  );

  // --- orgs.post: the wizard in one call, with the first charge (R3.6, R16.3).
  api.post<{ Body: OrgBody; Querystring: SummaryQuery }>(
    '/orgs',
    {
      config: { action: 'orgs.post' },
      schema: {
        tags: ['orgs'],
        summary: 'Create an organization on a plan; the first month is charged to the card (orgs.post)',
        description:
          '`planId` is the plan’s code (`starter`, `professional`, `business`); `cardToken` a card token (on the simulated gateway Stripe’s test tokens: `tok_visa` pays, `tok_chargeDeclined` is declined). A declined card creates nothing: 402 PaymentRequired.',
        querystring: { type: 'object', properties: summaryQuery },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'planId', 'cardToken'],
          properties: { name, description, planId, billingEmail, cardToken, iconColor },
        },
      },
    },
    async (request, reply) => {
      const user = principalOf(request).user;
      const body = request.body;
      const details = organizationDetailsSchema.safeParse({
        name: body.name,
        description: body.description ?? '',
        icon_color: body.iconColor ?? DEFAULT_ICON_COLOR,
        billing_email: body.billingEmail ?? user.email,
      });
      if (!details.success) throw apiValidation(firstProblem(fieldErrors(details.error)));
      let result;
      try {
        result = await createOrganizationAtOnce(api.deps, user, {
          planCode: body.planId!,
          details: { name: details.data.name, description: details.data.description, iconColor: details.data.icon_color, billingEmail: details.data.billing_email },
          card: { kind: 'token', token: body.cardToken! },
        });
      } catch (err) {
        // Stripe refusing before any charge (the customer or the card could not be saved): nothing was charged.
        if (!(err instanceof Stripe.errors.StripeError)) throw err;
        request.log.error({ err }, 'Stripe refused or failed while saving the card');
        if (err instanceof Stripe.errors.StripeInvalidRequestError) throw apiValidation('cardToken: we could not use that card token.');
        throw new ApiError(503, 'We could not reach the payment processor. Nothing was charged; please try again in a moment.');
      }
      if (!result.ok) {
        switch (result.reason) {
          case 'unknown_plan':
          case 'no_plan':
            throw apiValidation(`planId: no plan ${JSON.stringify(body.planId)}. Use a plan's code: ${await planCodes()}.`);
          case 'card_required':
            throw apiValidation('cardToken: every plan is paid; send a card token.');
          case 'card_rejected':
          case 'charge_failed':
            throw new ApiError(402, `${result.failure.message} Nothing was created.`);
          case 'gateway_unavailable':
            throw new ApiError(503, 'We could not reach the payment processor, so we do not know yet whether the payment went through. Send the request again: you will not be charged twice.');
          case 'in_progress':
            throw new ApiError(409, 'An organization of yours is being created right now. Wait a moment and list your organizations.');
          default:
            return assertNever(result);
        }
      }
      const org = (await findOrganizationById(db, result.organization.id))!;
      return reply.code(201).send(await presentOrg(db, org, { role: 'administrator', userId: user.id, now: clock.now(), summaryFields: summaryFields(request.query) }));
    },
  );

  // --- org.get (R3.2): what a Viewer sees; Administrators also the billing fields.
  api.get<{ Params: OrgParams; Querystring: SummaryQuery }>(
    '/orgs/:orgId',
    {
      config: { action: 'org.get' },
      schema: { tags: ['org'], summary: 'An organization with its members, limits and summary (org.get)', params: orgParams, querystring: { type: 'object', properties: summaryQuery } },
    },
    async (request) => {
      const ctx = await apiOrganizationFor(request, request.params.orgId, 'organization.view');
      return presentOrg(db, ctx.organization, { role: ctx.role, userId: principalOf(request).user.id, now: clock.now(), summaryFields: summaryFields(request.query) });
    },
  );

  // --- org.patch (R3.8, R9.5, R9.6, R9.14): Administrators. Everything is checked before anything changes.
  api.patch<{ Params: OrgParams; Body: OrgBody; Querystring: SummaryQuery }>(
    '/orgs/:orgId',
    {
      config: { action: 'org.patch' },
      schema: {
        tags: ['org'],
        summary: 'Change an organization’s name, description, icon color, billing email, card or plan (org.patch)',
        description:
          'A plan change (`planId`, a plan’s code) takes effect at once with the same two proration lines on the next invoice as on the Billing Plan page; a downgrade the current resources exceed is refused (409).',
        params: orgParams,
        querystring: { type: 'object', properties: summaryQuery },
        body: { type: 'object', additionalProperties: false, properties: { name, description, planId, billingEmail, cardToken, iconColor } },
      },
    },
    async (request) => {
      const ctx = await apiOrganizationFor(request, request.params.orgId, 'settings.manage', 'Only Administrators change an organization’s settings.');
      const user = principalOf(request).user;
      const body = request.body;
      const org = ctx.organization;
      const now = clock.now();

      // General settings, as the General tab checks them.
      const general = generalSettingsSchema.safeParse({
        name: body.name ?? org.name,
        description: body.description ?? org.description,
        icon_color: body.iconColor ?? org.iconColor,
      });
      if (!general.success) throw apiValidation(firstProblem(fieldErrors(general.error)));
      let email: string | undefined;
      if (body.billingEmail !== undefined) {
        const parsed = billingEmailSchema.safeParse(body.billingEmail);
        if (!parsed.success) throw apiValidation(`billingEmail: ${parsed.error.issues[0]?.message ?? 'not a valid email address.'}`);
        email = parsed.data;
      }
      // The plan, refused before anything else changes when the organization would not fit (R9.5).
      let newPlanId: number | null = null;
      if (body.planId !== undefined) {
        const plans = await availablePlans(db, org.id);
        const plan = plans.find((p) => p.code === body.planId);
        if (!plan) throw apiValidation(`planId: no plan ${JSON.stringify(body.planId)}. Use a plan's code: ${plans.map((p) => p.code).join(', ')}.`);
        const account = await findBillingAccount(db, org.id);
        if (account && !isCurrentPlan(account, plan)) {
          const preview = await previewPlanChange(db, org.id, plan, now);
          if (preview.exceeded.length) throw new ApiError(409, `The organization uses more than ${plan.name} allows: ${preview.exceeded.join('; ')}. Nothing was changed.`);
          newPlanId = plan.id;
        }
      }

      // The card first: a declined one leaves everything as it was (R9.6).
      if (body.cardToken !== undefined) {
        let replaced;
        try {
          replaced = await replaceCard(api.deps, { organizationId: org.id, actor: user, card: { kind: 'token', token: body.cardToken } });
        } catch (err) {
          if (!(err instanceof Stripe.errors.StripeError)) throw err;
          request.log.error({ err }, 'Stripe refused or failed while saving the card');
          throw new ApiError(503, 'We could not reach the payment processor. Nothing was changed; please try again in a moment.');
        }
        if (!replaced.ok) throw new ApiError(402, `${replaced.failure.message} Your previous card is still on file; nothing was changed.`);
        if (replaced.reactivation && !replaced.reactivation.ok) {
          throw new ApiError(402, `The card was saved, but: ${describeReactivationFailure(replaced.reactivation.failed)} The organization stays Unpaid; nothing else was changed.`);
        }
      }
      if (newPlanId !== null) {
        const changed = await changePlan(api.deps, { organizationId: org.id, planId: newPlanId, at: now, actor: user });
        if (!changed.ok) {
          switch (changed.reason) {
            case 'exceeds_limits':
              throw new ApiError(409, `The organization uses more than the new plan allows: ${changed.exceeded.join('; ')}.`);
            case 'period_changed':
              throw new ApiError(409, 'A new billing period is starting; send the request again in a moment.');
            case 'same_plan':
            case 'unknown_plan':
              break;
            default:
              return assertNever(changed);
          }
        }
      }
      await updateGeneralSettings(db, clock, user, org, { name: general.data.name, description: general.data.description, iconColor: general.data.icon_color });
      if (email !== undefined) {
        const account = await findBillingAccount(db, org.id);
        if (account && account.billingEmail !== email) {
          const updated = await updateBillingDetails(api.deps, { organizationId: org.id, organizationName: general.data.name, details: { ...account.details, email }, actor: user });
          if (!updated.ok) throw new ApiError(503, 'We could not reach the payment processor to change the billing email; the other changes were saved. Send billingEmail again in a moment.');
        }
      }
      const fresh = (await findOrganizationById(db, org.id))!;
      return presentOrg(db, fresh, { role: ctx.role, userId: user.id, now: clock.now(), summaryFields: summaryFields(request.query) });
    },
  );

  // --- org.delete (R3.9, R9.9): Administrators; the final invoice and the refund of the credit, as on the Delete page.
  api.delete<{ Params: OrgParams }>(
    '/orgs/:orgId',
    {
      config: { action: 'org.delete' },
      schema: { tags: ['org'], summary: 'Delete an organization: its final invoice is issued and its credit refunded; cannot be undone (org.delete)', params: orgParams },
    },
    async (request) => {
      const ctx = await apiOrganizationFor(request, request.params.orgId, 'organization.delete', 'Only Administrators delete an organization.');
      const result = await deleteOrganization(api.deps, { organization: ctx.organization, actor: principalOf(request).user, confirmName: ctx.organization.name });
      if (!result.ok) throw new ApiError(409, 'The organization changed while it was being deleted; try again.');
      return {
        success: true,
        finalInvoice: result.finalInvoice ? { number: result.finalInvoice.number, amountDueCents: result.finalInvoice.amountDueCents, paid: result.charge?.status === 'succeeded' } : null,
        refundedCents: result.refundedCents,
        refundPendingCents: result.refundPendingCents,
      };
    },
  );

  // --- org.payloadCounts (R8.2, R8.3): from the usage counters, like the Usage page (Administrators).
  api.get<{ Params: OrgParams; Querystring: { start?: string; end?: string } }>(
    '/orgs/:orgId/payloadCounts',
    {
      config: { action: 'org.payloadCounts' },
      schema: {
        tags: ['org'],
        summary: 'Payload counts for a time range; without start and end, the current billing period (org.payloadCounts)',
        description: '`start` and `end` are milliseconds since the epoch. The counters are kept per UTC day, so a range counts every day it touches.',
        params: orgParams,
        querystring: { type: 'object', properties: { start: { type: 'string', pattern: '^\\d{1,15}$' }, end: { type: 'string', pattern: '^\\d{1,15}$' } } },
      },
    },
    async (request) => {
      const ctx = await apiOrganizationFor(request, request.params.orgId, 'billing.manage', 'Only Administrators see an organization’s usage.');
      const owner: Owner = { kind: 'organization', organizationId: ctx.organization.id };
      const now = clock.now();
      const period = await usagePeriodOf(db, owner, now);
      const { start, end } = request.query;
      if (start === undefined && end === undefined) return presentPayloadCounts((await usageTotals(db, owner, period.start)).payloads);
      const range = { start: new Date(start === undefined ? period.start.getTime() : Number(start)), end: new Date(end === undefined ? now.getTime() : Number(end)) };
      if (range.end.getTime() <= range.start.getTime()) throw apiValidation('end must be after start.');
      return presentPayloadCounts(await payloadsOverDays(db, owner, range));
    },
  );

  // --- org.transferResources (R5.4): Administrators move applications and dashboards, all or nothing.
  api.patch<{ Params: OrgParams; Body: { destinationId: string; destinationType: 'user' | 'organization'; applicationIds?: string[]; dashboardIds?: string[]; strict?: boolean } }>(
    '/orgs/:orgId/transferResources',
    {
      config: { action: 'org.transferResources' },
      schema: {
        tags: ['org'],
        summary: 'Move applications and dashboards to your Sandbox or an organization you administer, all or nothing (org.transferResources)',
        description: 'The destination is your own Sandbox (`destinationType` user, `destinationId` your user id) or an organization you administer. Every move is checked as on the Transfer pages; one refused moves nothing (as Losant’s `strict`).',
        params: orgParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['destinationId', 'destinationType'],
          properties: {
            destinationId: apiIdSchema,
            destinationType: { type: 'string', enum: ['user', 'organization'] },
            applicationIds: { type: 'array', items: apiIdSchema, maxItems: 1000 },
            dashboardIds: { type: 'array', items: apiIdSchema, maxItems: 1000 },
            strict: { type: 'boolean' },
          },
        },
      },
    },
    async (request) => {
      const ctx = await apiOrganizationFor(request, request.params.orgId, 'settings.manage', 'Only Administrators transfer an organization’s applications and dashboards.');
      const user = principalOf(request).user;
      const body = request.body;
      const ids = (list: string[] | undefined, field: string) =>
        (list ?? []).map((raw) => {
          const id = fromApiId(raw);
          if (id === null) throw new ApiError(404, `${field}: ${raw} was not found.`);
          return id;
        });
      const applicationIds = ids(body.applicationIds, 'applicationIds');
      const dashboardIds = ids(body.dashboardIds, 'dashboardIds');
      if (applicationIds.length + dashboardIds.length === 0) throw apiValidation('Name at least one application (applicationIds) or dashboard (dashboardIds) to transfer.');
      const destinationId = fromApiId(body.destinationId);
      const elsewhere = 'You can move resources only to your own Sandbox (destinationType user, your user id) or to an organization you administer.';
      if (destinationId === null) throw new ApiError(403, elsewhere);
      let to: Owner;
      if (body.destinationType === 'user') {
        if (destinationId !== user.id) throw new ApiError(403, elsewhere);
        to = { kind: 'sandbox', userId: user.id };
      } else {
        // As everywhere in the API, an organization the caller is not in is not found (R2.5); one they are in but do not administer is 403.
        if (destinationId !== ctx.organization.id && !(await organizationsOfUser(db, user.id)).some((o) => o.id === destinationId)) {
          throw new ApiError(404, 'The destination organization was not found. Nothing was moved.');
        }
        to = { kind: 'organization', organizationId: destinationId };
      }
      const result = await transferResources(db, clock, { actor: user, from: { kind: 'organization', organizationId: ctx.organization.id }, to, applicationIds, dashboardIds });
      if (!result.ok) {
        switch (result.reason) {
          case 'not_found':
            throw new ApiError(404, `${result.type === 'application' ? 'applicationIds' : 'dashboardIds'}: ${toApiId(result.id)} is not one of ${ctx.organization.name}'s ${result.type}s. Nothing was moved.`);
          case 'not_allowed':
            if (to.kind === 'organization' && to.organizationId === ctx.organization.id) throw apiValidation('The resources already belong to this organization: choose another destination.');
            throw new ApiError(403, elsewhere);
          case 'limit':
            throw new ApiError(409, result.message);
          case 'owner_unpaid':
            throw new ApiError(
              402,
              result.side === 'from'
                ? `${ctx.organization.name} is Unpaid, so its applications and dashboards are paused. Update the payment method to reactivate it. Nothing was moved.`
                : 'The destination organization is Unpaid and takes in nothing until it pays. Nothing was moved.',
            );
          default:
            return assertNever(result);
        }
      }
      return { success: true };
    },
  );
}
