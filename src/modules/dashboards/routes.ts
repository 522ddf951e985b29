import { parseId } from '../../http/ids.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentUser, requireUser } from '../../http/auth.ts';
import { forbidden, notFound } from '../../http/errors.ts';
import { transferTargets } from '../applications/transfer-application.ts';
import { transferDashboard } from './transfer-dashboard.ts';
import { fieldErrors, formBody, type FieldErrors, formText } from '../../http/forms.ts';
import { renderConfirmation } from '../../http/confirm.ts';
import { renderPage, seeOther, setFlash } from '../../http/render.ts';
import { billingStatusOf } from '../owners/owner-period.ts';
import { billingStandingOf } from '../owners/standing.ts';
import type { BillingStatus } from '../owners/queries.ts';
import { clientSubject, setRetryAfter, waitInWords } from '../rate-limits/http.ts';
import { rateLimitRules } from '../rate-limits/rules.ts';
import { orgChrome } from '../tenancy/chrome.ts';
import { renderOrgResourceList } from '../tenancy/org-list-page.ts';
import { findOrganizationById } from '../tenancy/queries/organizations.ts';
import { pausedByUnpaid, resourceAccess, type ResourceAccess } from '../resources/access.ts';
import { allowedOwner, ownerChoices } from '../resources/owner-choices.ts';
import { addBlock } from './add-block.ts';
import { createDashboard } from './create-dashboard.ts';
import { deleteDashboard } from './delete-dashboard.ts';
import {
  BLOCK_KIND_LABELS,
  BLOCK_KINDS,
  listInWords,
  MAX_BLOCKS,
  SHARED_PASSWORD_HINT,
  VISIBILITIES,
  VISIBILITY_LABELS,
  type Visibility,
} from './policy.ts';
import { presentDashboard } from './present-dashboard.ts';
import { dashboardResource, findDashboard, findDashboardByShareToken, listBlocks, pageDashboardsOf, type Dashboard } from './queries.ts';
import { removeBlock } from './remove-block.ts';
import { addBlockSchema, createDashboardSchema, dashboardDetailsSchema, unlockSchema, visibilitySchema } from './schemas.ts';
import { setVisibility } from './set-visibility.ts';
import { sourceChoices } from './sources.ts';
import { passOpens, unlockDashboard } from './unlock-dashboard.ts';
import { updateDashboard } from './update-dashboard.ts';
import { assertNever } from '../../assert-never.ts';

type IdParams = { id: string };
type BlockParams = IdParams & { blockId: string };
type ShareParams = { shareToken: string };

const idParam = parseId;
/** A share token is 32 random bytes in base64url: exactly 43 characters. */
const SHARE_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const UNLOCK_COOKIE = 'dashboard_pass';

interface DetailsForm {
  name: string;
  description: string;
}
interface BlockForm {
  kind: string;
  title: string;
  application_id: string;
  device_id: string;
}
interface VisibilityForm {
  visibility: string;
}

interface ShowOptions {
  details?: DetailsForm;
  detailsErrors?: FieldErrors;
  block?: BlockForm;
  blockErrors?: FieldErrors;
  visibility?: VisibilityForm;
  visibilityErrors?: FieldErrors;
  status?: number;
}

const EMPTY_BLOCK: BlockForm = { kind: 'device_state', title: '', application_id: '', device_id: '' };

/**
 * R5.2, R5.3, R9.8, R9.10: dashboards — creation with an owner, the member
 * view with its editing forms, visibility, deletion, and the share link
 * (`/d/<token>`) that anyone may open when the dashboard is public, or that
 * asks for the shared password.
 */
export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  const { db, clock, config, limiter } = app.deps;
  /** R9.10: what the Past Due bar states on a dashboard of an organization. */
  const standingOf = (organizationId: number, status: BillingStatus) => billingStandingOf(db, app.deps.billingReads, organizationId, status, clock.now());
  const rules = rateLimitRules(config);

  /** The dashboard at :id as the signed-in user may see it (404 non-member, 403 without the right; R2.5). */
  async function dashboardFor(request: FastifyRequest, rawId: string, action: 'resources.view' | 'resources.edit') {
    const id = idParam(rawId);
    if (id === null) throw notFound();
    const dashboard = await findDashboard(db, id);
    if (!dashboard) throw notFound();
    const access = await resourceAccess(db, currentUser(request).id, dashboardResource(dashboard), action);
    // R9.8: an Unpaid organization's dashboards are paused: nothing in them changes until it pays.
    if (action === 'resources.edit' && access.billingStatus === 'unpaid') throw pausedByUnpaid(access.organization?.name, 'dashboards');
    return { dashboard, access };
  }

  const shareUrl = (d: Dashboard) => `${config.publicUrl}/d/${d.shareToken}`;

  async function showDashboard(request: FastifyRequest, reply: FastifyReply, dashboard: Dashboard, access: ResourceAccess, opts: ShowOptions = {}) {
    const content = await presentDashboard(db, dashboard, clock.now());
    const unpaid = content.billingStatus === 'unpaid';
    const chrome = access.organization && access.role ? orgChrome({ organization: access.organization, role: access.role, billingStatus: access.billingStatus, billingStanding: await standingOf(access.organization.id, access.billingStatus) }, 'dashboards') : null;
    const sources = access.canEdit && !unpaid ? await sourceChoices(db, dashboard.owner, currentUser(request)) : [];
    return renderPage(
      request,
      reply,
      'pages/dashboards/show.eta',
      {
        ...(chrome ?? {}),
        chrome: chrome !== null,
        dashboard,
        content,
        unpaid,
        pastDue: content.billingStatus === 'past_due',
        canEdit: access.canEdit,
        canDelete: access.canDelete,
        canManageBilling: access.canAdminister && dashboard.owner.kind === 'organization',
        canTransfer: access.canAdminister,
        sources,
        kinds: BLOCK_KINDS.map((k) => ({ value: k, label: BLOCK_KIND_LABELS[k] })),
        visibilities: VISIBILITIES.map((v) => ({ value: v, label: VISIBILITY_LABELS[v] })),
        visibilityLabel: VISIBILITY_LABELS[dashboard.visibility],
        shareUrl: dashboard.visibility === 'private' ? null : shareUrl(dashboard),
        maxBlocks: MAX_BLOCKS,
        passwordHint: SHARED_PASSWORD_HINT,
        details: opts.details ?? { name: dashboard.name, description: dashboard.description },
        detailsErrors: opts.detailsErrors ?? {},
        block: opts.block ?? EMPTY_BLOCK,
        blockErrors: opts.blockErrors ?? {},
        visibility: opts.visibility ?? { visibility: dashboard.visibility },
        visibilityErrors: opts.visibilityErrors ?? {},
      },
      { status: opts.status ?? 200, title: `${dashboard.name} · Dashboard` },
    );
  }

  await app.register(async (members) => {
    members.addHook('preHandler', requireUser);

    // R3.2: every dashboard of an organization the member may see (R2.6),
    // paged, behind the overview's "View all" link.
    members.get<{ Params: { slug: string }; Querystring: { page?: string } }>('/orgs/:slug/dashboards', (request, reply) =>
      renderOrgResourceList(request, reply, 'dashboard', (owner, visible, window) => pageDashboardsOf(db, owner, visible, window)),
    );

    // ---- Create (R5.3, R7.3) -------------------------------------------------
    async function showNew(
      request: FastifyRequest,
      reply: FastifyReply,
      opts: { values: { name: string; description: string; owner: string }; errors?: FieldErrors; formError?: string; status?: number },
    ) {
      const choices = await ownerChoices(db, currentUser(request));
      return renderPage(
        request,
        reply,
        'pages/dashboards/new.eta',
        { values: opts.values, errors: opts.errors ?? {}, formError: opts.formError, choices: choices.map((c) => ({ value: c.value, label: c.label })) },
        { status: opts.status ?? 200, title: 'New dashboard · Orgplane' },
      );
    }

    members.get<{ Querystring: { owner?: string } }>('/dashboards/new', async (request, reply) => {
      const wanted = await allowedOwner(db, currentUser(request), request.query.owner);
      return showNew(request, reply, { values: { name: '', description: '', owner: wanted?.value ?? 'sandbox' } });
    });

    members.post('/dashboards/new', async (request, reply) => {
      const user = currentUser(request);
      const body = formBody(request.body);
      const values = { name: formText(body.name), description: formText(body.description), owner: formText(body.owner, 40) || 'sandbox' };
      const parsed = createDashboardSchema.safeParse(values);
      if (!parsed.success) return showNew(request, reply, { values, errors: fieldErrors(parsed.error), status: 422 });
      const choice = await allowedOwner(db, user, parsed.data.owner);
      if (!choice) {
        return showNew(request, reply, {
          values: { ...values, owner: 'sandbox' },
          errors: { owner: 'Choose your Sandbox or an organization where you are an Editor or Administrator.' },
          status: 422,
        });
      }
      const result = await createDashboard(db, clock, { user, owner: choice.owner, name: parsed.data.name, description: parsed.data.description });
      if (!result.ok) {
        switch (result.reason) {
          case 'over_limit':
            return showNew(request, reply, { values, formError: result.message, status: 409 });
          case 'owner_unpaid':
            return showNew(request, reply, {
              values,
              formError: `${choice.label}'s subscription is unpaid, so no dashboards can be created there until an Administrator updates the payment method.`,
              status: 409,
            });
          default:
            return assertNever(result);
        }
      }
      setFlash(reply, 'success', `Dashboard ${parsed.data.name} created. Add blocks to show your devices' data.`);
      return seeOther(reply, `/dashboards/${result.dashboardId}`);
    });

    // ---- View ----------------------------------------------------------------
    members.get<{ Params: IdParams }>('/dashboards/:id', async (request, reply) => {
      const { dashboard, access } = await dashboardFor(request, request.params.id, 'resources.view');
      return showDashboard(request, reply, dashboard, access);
    });

    // ---- Edit: name and description ------------------------------------------
    members.post<{ Params: IdParams }>('/dashboards/:id/details', async (request, reply) => {
      const { dashboard, access } = await dashboardFor(request, request.params.id, 'resources.edit');
      const body = formBody(request.body);
      const details = { name: formText(body.name), description: formText(body.description) };
      const parsed = dashboardDetailsSchema.safeParse(details);
      if (!parsed.success) return showDashboard(request, reply, dashboard, access, { details, detailsErrors: fieldErrors(parsed.error), status: 422 });
      await updateDashboard(db, dashboard, parsed.data);
      setFlash(reply, 'success', 'Dashboard details saved.');
      return seeOther(reply, `/dashboards/${dashboard.id}`);
    });

    // ---- Edit: blocks (R5.2) ------------------------------------------------
    members.post<{ Params: IdParams }>('/dashboards/:id/blocks', async (request, reply) => {
      const { dashboard, access } = await dashboardFor(request, request.params.id, 'resources.edit');
      const body = formBody(request.body);
      const block: BlockForm = { kind: formText(body.kind, 40), title: formText(body.title), application_id: formText(body.application_id, 20), device_id: formText(body.device_id, 20) };
      const parsed = addBlockSchema.safeParse(block);
      if (!parsed.success) return showDashboard(request, reply, dashboard, access, { block, blockErrors: fieldErrors(parsed.error), status: 422 });
      const result = await addBlock(db, dashboard, currentUser(request), {
        kind: parsed.data.kind,
        title: parsed.data.title,
        applicationId: parsed.data.application_id!,
        deviceId: parsed.data.device_id,
      });
      if (!result.ok) {
        let errors: FieldErrors;
        let status = 422;
        switch (result.reason) {
          case 'dashboard_unpaid':
            errors = { _form: 'Blocks cannot be added while the subscription of the organization that owns this dashboard is unpaid.' };
            status = 409;
            break;
          case 'too_many_blocks':
            errors = { _form: `A dashboard holds at most ${MAX_BLOCKS} blocks. Remove one first, or make another dashboard.` };
            status = 409;
            break;
          case 'application_not_allowed':
            errors = {
              application_id:
                dashboard.owner.kind === 'organization'
                  ? "Choose one of this organization's applications: an organization's dashboard shows only its own applications' data."
                  : 'Choose an application from the list: your Sandbox applications, or those of organizations you belong to.',
            };
            break;
          case 'source_unpaid':
            errors = { application_id: "That application's organization has an unpaid subscription, so its data cannot be shown." };
            status = 409;
            break;
          case 'device_not_in_application':
            errors = { device_id: 'Choose a device of the chosen application.' };
            break;
          default:
            return assertNever(result.reason);
        }
        return showDashboard(request, reply, dashboard, access, { block, blockErrors: errors, status });
      }
      setFlash(reply, 'success', 'Block added.');
      return seeOther(reply, `/dashboards/${dashboard.id}#block-${result.blockId}`);
    });

    // Removing a block is asked first on a page of its own (works without JavaScript).
    members.get<{ Params: BlockParams }>('/dashboards/:id/blocks/:blockId/delete', async (request, reply) => {
      const { dashboard, access } = await dashboardFor(request, request.params.id, 'resources.edit');
      const blockId = idParam(request.params.blockId);
      const block = blockId === null ? undefined : (await listBlocks(db, dashboard.id)).find((b) => b.id === blockId);
      if (!block) throw notFound('That block is not on this dashboard any more.');
      const chrome = access.organization && access.role ? orgChrome({ organization: access.organization, role: access.role, billingStatus: access.billingStatus }, 'dashboards') : {};
      return renderConfirmation(
        request,
        reply,
        {
          question: `Remove the block ${block.title} from ${dashboard.name}?`,
          consequences: [
            `The block leaves the dashboard${dashboard.visibility === 'private' ? '' : ' and its share link'}. The device data it shows is not affected; you can add the block again later.`,
          ],
          action: `/dashboards/${dashboard.id}/blocks/${block.id}/delete`,
          button: 'Remove block',
          cancelHref: `/dashboards/${dashboard.id}#block-${block.id}`,
        },
        { billingBar: 'billingBar' in chrome ? chrome.billingBar : null },
      );
    });

    members.post<{ Params: BlockParams }>('/dashboards/:id/blocks/:blockId/delete', async (request, reply) => {
      const { dashboard } = await dashboardFor(request, request.params.id, 'resources.edit');
      const blockId = idParam(request.params.blockId);
      if (blockId === null) throw notFound();
      const result = await removeBlock(db, dashboard, blockId);
      if (!result.ok) throw notFound('That block is not on this dashboard any more.');
      setFlash(reply, 'success', 'Block removed.');
      return seeOther(reply, `/dashboards/${dashboard.id}`);
    });

    // ---- Visibility (R5.2) --------------------------------------------------
    members.post<{ Params: IdParams }>('/dashboards/:id/visibility', async (request, reply) => {
      const { dashboard, access } = await dashboardFor(request, request.params.id, 'resources.edit');
      const body = formBody(request.body);
      const visibility = { visibility: formText(body.visibility, 40) };
      const parsed = visibilitySchema.safeParse({ visibility: visibility.visibility, password: formText(body.password, 1_000) });
      if (!parsed.success) return showDashboard(request, reply, dashboard, access, { visibility, visibilityErrors: fieldErrors(parsed.error), status: 422 });
      const result = await setVisibility(db, clock, currentUser(request), dashboard, parsed.data);
      if (!result.ok) {
        let message: string;
        switch (result.reason) {
          case 'password_required':
            message = 'Choose the shared password that visitors will enter.';
            break;
          case 'weak_password':
            message = `The shared password needs ${listInWords(result.missing)}.`;
            break;
          default:
            return assertNever(result);
        }
        return showDashboard(request, reply, dashboard, access, { visibility, visibilityErrors: { password: message }, status: 422 });
      }
      setFlash(reply, 'success', visibilityNotice(result.visibility));
      return seeOther(reply, `/dashboards/${dashboard.id}#sharing`);
    });

    // ---- Delete, confirmed on its own page (works the same without JavaScript) ----
    const forbiddenDelete = () => forbidden('Deleting a dashboard needs the Editor role or more.');

    members.get<{ Params: IdParams }>('/dashboards/:id/delete', async (request, reply) => {
      const { dashboard, access } = await dashboardFor(request, request.params.id, 'resources.edit');
      if (!access.canDelete) throw forbiddenDelete();
      const chrome = access.organization && access.role ? orgChrome({ organization: access.organization, role: access.role, billingStatus: access.billingStatus, billingStanding: await standingOf(access.organization.id, access.billingStatus) }, 'dashboards') : null;
      return renderPage(
        request,
        reply,
        'pages/dashboards/confirm-delete.eta',
        { ...(chrome ?? {}), chrome: chrome !== null, dashboard, shared: dashboard.visibility !== 'private' },
        { title: `Delete ${dashboard.name}` },
      );
    });

    members.post<{ Params: IdParams }>('/dashboards/:id/delete', async (request, reply) => {
      const { dashboard, access } = await dashboardFor(request, request.params.id, 'resources.edit');
      if (!access.canDelete) throw forbiddenDelete();
      await deleteDashboard(db, clock, currentUser(request), dashboard);
      setFlash(reply, 'success', `Dashboard ${dashboard.name} was deleted.`);
      const org = access.organization;
      return seeOther(reply, org ? `/orgs/${org.slug}` : '/sandbox');
    });

    // ---- Transfer (R5.4): Administrators of the owner, or the Sandbox owner ----
    const showTransfer = async (request: FastifyRequest, reply: FastifyReply, dashboard: Dashboard, access: ResourceAccess, error?: string, status = 200) => {
      const targets = await transferTargets(db, currentUser(request), access.owner);
      return renderPage(
        request,
        reply,
        'pages/dashboards/transfer.eta',
        { dashboard, ownerName: access.organization ? access.organization.name : 'your Sandbox', targets, error },
        { status, title: `Transfer ${dashboard.name}` },
      );
    };

    members.get<{ Params: IdParams }>('/dashboards/:id/transfer', async (request, reply) => {
      const { dashboard, access } = await dashboardFor(request, request.params.id, 'resources.view');
      if (!access.canAdminister) throw forbidden('Only Administrators of the owning organization can transfer its dashboards.');
      if (access.billingStatus === 'unpaid') throw pausedByUnpaid(access.organization?.name, 'dashboards');
      return showTransfer(request, reply, dashboard, access);
    });

    members.post<{ Params: IdParams }>('/dashboards/:id/transfer', async (request, reply) => {
      const user = currentUser(request);
      const { dashboard, access } = await dashboardFor(request, request.params.id, 'resources.view');
      if (!access.canAdminister) throw forbidden('Only Administrators of the owning organization can transfer its dashboards.');
      if (access.billingStatus === 'unpaid') throw pausedByUnpaid(access.organization?.name, 'dashboards');
      const targets = await transferTargets(db, user, access.owner);
      const target = targets.find((t) => t.value === formBody(request.body).to);
      if (!target) return showTransfer(request, reply, dashboard, access, 'Choose where to move the dashboard.', 422);
      const result = await transferDashboard(db, clock, { actor: user, dashboardId: dashboard.id, from: dashboard.owner, to: target.owner, allowedTargets: targets });
      if (!result.ok) {
        switch (result.reason) {
          case 'limit':
            return showTransfer(request, reply, dashboard, access, result.message, 409);
          case 'not_allowed':
            return showTransfer(request, reply, dashboard, access, 'You cannot move the dashboard there.', 403);
          case 'owner_unpaid':
            if (result.side === 'from') throw pausedByUnpaid(access.organization?.name, 'dashboards');
            return showTransfer(request, reply, dashboard, access, `${target.label} is Unpaid and takes in no dashboards until it pays.`, 409);
          default:
            return assertNever(result);
        }
      }
      const lost = result.lostSources.length ? ` These blocks lost their source and show no data there: ${result.lostSources.join(', ')}.` : '';
      setFlash(reply, 'success', `${dashboard.name} now belongs to ${target.label === 'Your Sandbox' ? 'your Sandbox' : target.label}.${lost}`);
      return seeOther(reply, `/dashboards/${dashboard.id}`);
    });
  });

  // ---- The share link: no login (R5.2, R3.5, R9.8, R9.10) -----------------------
  // Nothing here shows the owner: no organization icon or name, no billing
  // notice. A private dashboard's link is a 404, indistinguishable from none.

  /** The shared dashboard behind a link, or a 404 when it is not shared (or its organization is gone). */
  async function sharedDashboard(rawToken: string): Promise<Dashboard> {
    const dashboard = SHARE_TOKEN.test(rawToken) ? await findDashboardByShareToken(db, rawToken) : undefined;
    if (!dashboard || dashboard.visibility === 'private') throw notFound();
    if (dashboard.owner.kind === 'organization') {
      const organization = await findOrganizationById(db, dashboard.owner.organizationId);
      if (!organization || organization.deletedAt) throw notFound();
    }
    return dashboard;
  }

  const sharePath = (d: Dashboard) => `/d/${d.shareToken}`;

  function shareHeaders(reply: FastifyReply) {
    // A shared link is for the people it was given to, not for search engines.
    reply.header('X-Robots-Tag', 'noindex, nofollow');
  }

  /**
   * R9.8: an Unpaid owner's shared dashboards show a neutral page. 503: the
   * dashboard exists but cannot be served right now, and comes back once the
   * owner pays — not "gone" (404/410) and not content (200) that a link
   * checker or monitor would take as working; it names no reason.
   */
  async function showUnavailable(request: FastifyRequest, reply: FastifyReply) {
    shareHeaders(reply);
    return renderPage(request, reply, 'pages/dashboards/unavailable.eta', {}, { status: 503, title: 'Dashboard unavailable', forms: false });
  }

  async function showUnlock(request: FastifyRequest, reply: FastifyReply, dashboard: Dashboard, opts: { error?: string; status?: number } = {}) {
    shareHeaders(reply);
    return renderPage(
      request,
      reply,
      'pages/dashboards/unlock.eta',
      { action: `${sharePath(dashboard)}/unlock`, error: opts.error },
      { status: opts.status ?? 200, title: 'Password-protected dashboard' },
    );
  }

  function passFrom(request: FastifyRequest): string | null {
    const raw = request.cookies[UNLOCK_COOKIE];
    if (!raw) return null;
    const unsigned = request.unsignCookie(raw);
    return unsigned.valid ? unsigned.value : null;
  }

  app.get<{ Params: ShareParams }>('/d/:shareToken', async (request, reply) => {
    const dashboard = await sharedDashboard(request.params.shareToken);
    const now = clock.now();
    if ((await billingStatusOf(db, dashboard.owner)) === 'unpaid') return showUnavailable(request, reply);
    if (dashboard.visibility === 'password' && !passOpens(dashboard, passFrom(request), now)) return showUnlock(request, reply, dashboard);
    const content = await presentDashboard(db, dashboard, now);
    if (content.billingStatus === 'unpaid') return showUnavailable(request, reply);
    shareHeaders(reply);
    return renderPage(request, reply, 'pages/dashboards/public.eta', { dashboard, content }, { title: dashboard.name, forms: false });
  });

  app.post<{ Params: ShareParams }>(
    '/d/:shareToken/unlock',
    async (request, reply) => {
      const dashboard = await sharedDashboard(request.params.shareToken);
      if (dashboard.visibility !== 'password') return seeOther(reply, sharePath(dashboard));
      if ((await billingStatusOf(db, dashboard.owner)) === 'unpaid') return showUnavailable(request, reply);
      // R13.3: guesses per dashboard and client address, so one visitor's guesses lock only that dashboard, for them;
      // and per address over all dashboards, so a guesser gains nothing from many dashboards.
      const address = clientSubject(request);
      let admitted = await limiter.take(rules.unlockByDashboardAndAddress, `${dashboard.id}:${address}`);
      if (admitted.ok) admitted = await limiter.take(rules.unlockByAddress, address);
      if (!admitted.ok) {
        setRetryAfter(reply, admitted.retryAfterMs);
        return showUnlock(request, reply, dashboard, { error: `Too many wrong guesses from your address. Wait ${waitInWords(admitted.retryAfterMs)} and try again.`, status: 429 });
      }
      const parsed = unlockSchema.safeParse({ password: formText(formBody(request.body).password, 1_000) });
      if (!parsed.success) return showUnlock(request, reply, dashboard, { error: fieldErrors(parsed.error).password ?? 'Enter the password.', status: 422 });
      const result = await unlockDashboard(dashboard, parsed.data.password, clock.now());
      if (!result.ok) {
        switch (result.reason) {
          case 'wrong_password':
            return showUnlock(request, reply, dashboard, { error: 'That password is not right. Check it with the person who shared the link.', status: 401 });
          case 'not_password_protected':
            return seeOther(reply, sharePath(dashboard));
          default:
            return assertNever(result.reason);
        }
      }
      reply.setCookie(UNLOCK_COOKIE, result.pass, {
        path: sharePath(dashboard),
        httpOnly: true,
        sameSite: 'lax',
        signed: true,
        maxAge: Math.floor((result.expiresAt.getTime() - clock.now().getTime()) / 1000),
      });
      return seeOther(reply, sharePath(dashboard));
    },
  );
}

function visibilityNotice(visibility: Visibility): string {
  switch (visibility) {
    case 'private':
      return 'The dashboard is private: only its members can see it, and its share link no longer works.';
    case 'public':
      return 'The dashboard is public: anyone with the share link can see it.';
    case 'password':
      return 'The dashboard is password-protected: anyone with the share link and the password can see it.';
  }
}
