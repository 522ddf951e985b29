import { parseId } from '../../http/ids.ts';
import type { FastifyInstance } from 'fastify';
import { requireUser } from '../../http/auth.ts';
import { notFound } from '../../http/errors.ts';
import { renderPage } from '../../http/render.ts';
import { organizationFor } from '../organizations/access.ts';
import { orgChrome } from '../organizations/chrome.ts';
import { attemptsOfInvoice } from './attempts.ts';
import { findInvoiceOfOrganization, invoiceUsageOf } from './invoice-queries.ts';
import { invoiceDetail, invoiceSummary } from './invoice-view.ts';
import { invoiceLines, listInvoices } from './invoices.ts';
import { findBillingAccount } from './queries.ts';

type Params = { slug: string };
type InvoiceParams = Params & { invoiceId: string };

/** R9.11: the tab lists this many, newest first. */
const RECENT_INVOICES = 12;

/** An id as the URL gives it: digits that fit the integer column (a bigger one would be a database error, not a 404). */
const idParam = parseId;

/** R9.4, R9.11: Settings → Invoices and each invoice's printable detail, for Administrators. */
export async function invoiceRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps;
  app.addHook('preHandler', requireUser);

  app.get<{ Params: Params }>('/orgs/:slug/settings/invoices', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'billing.manage');
    const invoices = await listInvoices(db, ctx.organization.id, RECENT_INVOICES);
    return renderPage(
      request,
      reply,
      'pages/billing/invoices.eta',
      { ...orgChrome(ctx, 'settings'), tab: 'invoices', invoices: invoices.map(invoiceSummary), limit: RECENT_INVOICES },
      { title: `Invoices · ${ctx.organization.name}` },
    );
  });

  // `?print=1` is the same invoice laid out for paper: no site chrome, and
  // (with JavaScript) the browser's print dialog opens by itself.
  app.get<{ Params: InvoiceParams; Querystring: { print?: string } }>('/orgs/:slug/settings/invoices/:invoiceId', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'billing.manage');
    const invoiceId = idParam(request.params.invoiceId);
    const invoice = invoiceId === null ? undefined : await findInvoiceOfOrganization(db, ctx.organization.id, invoiceId);
    if (!invoice) throw notFound('We could not find that invoice in this organization.');
    const [lines, attempts, usage, account] = await Promise.all([
      invoiceLines(db, invoice.id),
      attemptsOfInvoice(db, invoice.id),
      invoiceUsageOf(db, invoice.id),
      findBillingAccount(db, ctx.organization.id),
    ]);
    const detail = invoiceDetail({
      invoice,
      lines,
      attempts,
      usage,
      organizationName: ctx.organization.name,
      billingEmail: account?.billingEmail ?? null,
    });
    return renderPage(
      request,
      reply,
      'pages/billing/invoice.eta',
      { ...orgChrome(ctx, 'settings'), tab: 'invoices', invoice: detail, printView: request.query.print === '1' },
      { title: `Invoice ${invoice.number} · ${ctx.organization.name}` },
    );
  });
}
