import { parseId } from '../../http/ids.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireUser } from '../../http/auth.ts';
import { notFound } from '../../http/errors.ts';
import { datesFor, renderPage } from '../../http/render.ts';
import { deletedOrganizationFor, organizationFor } from '../tenancy/access.ts';
import { orgChrome } from '../tenancy/chrome.ts';
import type { Organization } from '../tenancy/queries/organizations.ts';
import { findBillingAccount } from '../owners/queries/billing-accounts.ts';
import { attemptsOfInvoice } from './queries/attempts.ts';
import { renderInvoicePdf } from './invoice-pdf.ts';
import { creditBalanceAfterInvoice, findInvoiceOfOrganization, invoiceUsageOf, listInvoices } from './queries/invoices.ts';
import { invoiceLines } from './queries/lines.ts';
import type { Dates } from '../../format.ts';
import { invoiceDetail, invoiceSummary, type InvoiceDetail } from './invoice-view.ts';

type Params = { slug: string };
type InvoiceParams = Params & { invoiceId: string };

/** R9.11: the tab lists this many, newest first. */
const RECENT_INVOICES = 12;

/**
 * R9.4, R9.11, R9.14: Settings → Invoices and each invoice's detail (also
 * printable, and as a PDF), for Administrators; and the same for a deleted
 * organization's former Administrators, for 12 months, under /orgs/deleted/.
 */
export async function invoiceRoutes(app: FastifyInstance): Promise<void> {
  const { db, config } = app.deps;
  app.addHook('preHandler', requireUser);

  /** The invoice of this organization at :invoiceId, presented in the reader's dates (R1.5); 404 for anything else. */
  async function loadDetail(organization: Organization, rawId: string, dates: Dates): Promise<InvoiceDetail> {
    const invoiceId = parseId(rawId);
    const invoice = invoiceId === null ? undefined : await findInvoiceOfOrganization(db, organization.id, invoiceId);
    if (!invoice) throw notFound('We could not find that invoice in this organization.');
    const [lines, attempts, usage, account, creditBalanceAfterCents] = await Promise.all([
      invoiceLines(db, invoice.id),
      attemptsOfInvoice(db, invoice.id),
      invoiceUsageOf(db, invoice.id),
      findBillingAccount(db, organization.id),
      creditBalanceAfterInvoice(db, organization.id, invoice.id),
    ]);
    return invoiceDetail({
      invoice,
      lines,
      attempts,
      usage,
      organizationName: organization.name,
      currentDetails: account?.details ?? null,
      seller: config.seller,
      creditBalanceAfterCents,
      dates,
    });
  }

  async function sendPdf(reply: FastifyReply, detail: InvoiceDetail) {
    const pdf = await renderInvoicePdf(detail);
    return reply
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="invoice-${detail.number}.pdf"`)
      .header('cache-control', 'private, no-store')
      .send(pdf);
  }

  async function showList(request: FastifyRequest, reply: FastifyReply, organization: Organization, chrome: Record<string, unknown>, invoicesUrl: string) {
    const invoices = await listInvoices(db, organization.id, RECENT_INVOICES);
    return renderPage(
      request,
      reply,
      'pages/billing/invoices.eta',
      { ...chrome, tab: 'invoices', invoices: invoices.map((i) => invoiceSummary(i, datesFor(request))), limit: RECENT_INVOICES, invoicesUrl },
      { title: `Invoices · ${organization.name}` },
    );
  }

  // `?print=1` is the same invoice laid out for paper: no site chrome, and
  // (with JavaScript) the browser's print dialog opens by itself.
  async function showInvoice(request: FastifyRequest<{ Querystring: { print?: string } }>, reply: FastifyReply, organization: Organization, detail: InvoiceDetail, chrome: Record<string, unknown>, invoicesUrl: string) {
    return renderPage(
      request,
      reply,
      'pages/billing/invoice.eta',
      { ...chrome, tab: 'invoices', invoice: detail, printView: request.query.print === '1', invoicesUrl },
      { title: `Invoice ${detail.number} · ${organization.name}` },
    );
  }

  app.get<{ Params: Params }>('/orgs/:slug/settings/invoices', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'billing.manage');
    return showList(request, reply, ctx.organization, orgChrome(ctx, 'settings'), `/orgs/${ctx.organization.slug}/settings/invoices`);
  });

  app.get<{ Params: InvoiceParams; Querystring: { print?: string } }>('/orgs/:slug/settings/invoices/:invoiceId', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'billing.manage');
    const detail = await loadDetail(ctx.organization, request.params.invoiceId, datesFor(request));
    return showInvoice(request, reply, ctx.organization, detail, orgChrome(ctx, 'settings'), `/orgs/${ctx.organization.slug}/settings/invoices`);
  });

  app.get<{ Params: InvoiceParams }>('/orgs/:slug/settings/invoices/:invoiceId/pdf', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'billing.manage');
    return sendPdf(reply, await loadDetail(ctx.organization, request.params.invoiceId, datesFor(request)));
  });

  // R9.14: a deleted organization's invoices, for its former Administrators.
  const deletedChrome = (organization: Organization) => ({ deletedOrg: { name: organization.name, deletedAt: organization.deletedAt } });

  app.get<{ Params: Params }>('/orgs/deleted/:slug/invoices', async (request, reply) => {
    const organization = await deletedOrganizationFor(request, request.params.slug);
    return showList(request, reply, organization, deletedChrome(organization), `/orgs/deleted/${organization.slug}/invoices`);
  });

  app.get<{ Params: InvoiceParams; Querystring: { print?: string } }>('/orgs/deleted/:slug/invoices/:invoiceId', async (request, reply) => {
    const organization = await deletedOrganizationFor(request, request.params.slug);
    const detail = await loadDetail(organization, request.params.invoiceId, datesFor(request));
    return showInvoice(request, reply, organization, detail, deletedChrome(organization), `/orgs/deleted/${organization.slug}/invoices`);
  });

  app.get<{ Params: InvoiceParams }>('/orgs/deleted/:slug/invoices/:invoiceId/pdf', async (request, reply) => {
    const organization = await deletedOrganizationFor(request, request.params.slug);
    return sendPdf(reply, await loadDetail(organization, request.params.invoiceId, datesFor(request)));
  });
}
