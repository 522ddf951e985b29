import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentUser, requireUser } from '../../http/auth.ts';
import { formBody } from '../../http/forms.ts';
import { renderPage, seeOther, setFlash } from '../../http/render.ts';
import { formatCents } from '../../money.ts';
import { organizationFor, type OrgContext } from '../tenancy/access.ts';
import { orgChrome } from '../tenancy/chrome.ts';
import { deleteOrganization, previewDeletion } from './delete-organization.ts';

type Params = { slug: string };

/** R3.9, R9.15: Settings → Delete, for Administrators. */
export async function deleteOrganizationRoutes(app: FastifyInstance): Promise<void> {
  const { db, clock } = app.deps;
  app.addHook('preHandler', requireUser);

  // R3.9: Delete Organization, confirmed by typing the name.
  // R9.15: what deleting now bills and refunds, stated before the Administrator confirms.
  const showDelete = async (request: FastifyRequest, reply: FastifyReply, ctx: OrgContext, error?: string, status = 200) => {
    const preview = await previewDeletion(db, ctx.organization.id, clock.now());
    const money = {
      finalLines: preview.finalLines.map((l) => ({ description: l.description, amount: formatCents(l.amountCents) })),
      finalSubtotal: formatCents(preview.finalSubtotalCents),
      finalCreditApplied: preview.finalCreditAppliedCents ? formatCents(-preview.finalCreditAppliedCents) : null,
      finalAmountDue: formatCents(preview.finalAmountDueCents),
      refund: formatCents(preview.refundCents),
      refundCents: preview.refundCents,
      openInvoices: preview.openInvoices,
      openBalance: formatCents(preview.openBalanceCents),
    };
    return renderPage(request, reply, 'pages/orgs/delete.eta', { ...orgChrome(ctx, 'settings'), tab: 'delete', error, money }, { status, title: `Delete ${ctx.organization.name}` });
  };

  app.get<{ Params: Params }>('/orgs/:slug/settings/delete', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'organization.delete');
    return showDelete(request, reply, ctx);
  });

  app.post<{ Params: Params }>('/orgs/:slug/settings/delete', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'organization.delete');
    const confirmName = formBody(request.body).confirm_name;
    const result = await deleteOrganization(app.deps, { organization: ctx.organization, actor: currentUser(request), confirmName: typeof confirmName === 'string' ? confirmName : '' });
    if (!result.ok) return showDelete(request, reply, ctx, `Type the organization's name, ${ctx.organization.name}, exactly to confirm.`, 422);
    const parts = [`${ctx.organization.name} was deleted.`];
    if (result.finalInvoice) parts.push(`A final invoice ${result.finalInvoice.number} was issued${result.charge?.status === 'succeeded' ? ' and paid' : ''}.`);
    if (result.refundedCents) parts.push(`${formatCents(result.refundedCents)} of credit was refunded to the card.`);
    if (result.refundPendingCents) parts.push(`${formatCents(result.refundPendingCents)} of credit is being refunded to the card; the refund notice follows by email.`);
    setFlash(reply, 'success', parts.join(' '));
    return seeOther(reply, '/orgs');
  });
}
