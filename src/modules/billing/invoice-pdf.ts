import type { InvoiceDetail } from './invoice-view.ts';

/**
 * R9.14: an invoice as a PDF, drawn with pdfkit (pure JavaScript, its
 * standard Helvetica fonts built in: no network, no files of ours). It
 * prints exactly what the detail page shows — the same presented strings —
 * so the two cannot disagree. pdfkit is loaded with the first PDF, not at
 * start (a few MiB of resident memory most processes never need).
 */

// The standard fonts encode WinAnsi (Latin-1 and a few typographic marks);
// anything else (an emoji in an application name) prints as "?" rather than
// as a wrong glyph.
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
const printable = (s: string) =>
  [...s].map((c) => {
    const code = c.codePointAt(0)!;
    return (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(c) ? c : '?';
  }).join('');

const MARGIN = 50;
const PAGE_WIDTH = 595.28; // A4
const CONTENT = PAGE_WIDTH - 2 * MARGIN;
const COLS = { description: MARGIN, quantity: MARGIN + 285, unit: MARGIN + 345, amount: MARGIN + 420 };
const WIDTHS = { description: 275, quantity: 55, unit: 70, amount: CONTENT - 420 };

export async function renderInvoicePdf(inv: InvoiceDetail): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: { Title: printable(`Invoice ${inv.number}`), Author: printable(inv.seller.name), Subject: printable(`Invoice ${inv.number} for ${inv.billedTo.name}`) },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const text = (s: string, x: number, y: number, opts: PDFKit.Mixins.TextOptions = {}) => doc.text(printable(s), x, y, opts);
  const muted = () => doc.fillColor('#555555');
  const ink = () => doc.fillColor('#111111');
  const ensureRoom = (height: number) => {
    if (doc.y + height > doc.page.height - MARGIN) doc.addPage();
  };

  // Head: the document and its number; the status.
  ink().font('Helvetica-Bold').fontSize(20);
  text('Invoice', MARGIN, MARGIN);
  doc.font('Helvetica').fontSize(11);
  text(inv.number, MARGIN, MARGIN + 26);
  text(inv.status.label, MARGIN, MARGIN, { width: CONTENT, align: 'right' });

  // Parties: seller and buyer, side by side.
  const partiesY = MARGIN + 60;
  const party = (title: string, name: string, lines: string[], x: number) => {
    muted().font('Helvetica-Bold').fontSize(8);
    text(title.toUpperCase(), x, partiesY, { width: CONTENT / 2 - 10 });
    ink().font('Helvetica-Bold').fontSize(10);
    text(name, x, doc.y + 2, { width: CONTENT / 2 - 10 });
    doc.font('Helvetica');
    for (const l of lines) text(l, x, doc.y, { width: CONTENT / 2 - 10 });
    return doc.y;
  };
  const sellerBottom = party('From', inv.seller.name, inv.seller.lines, MARGIN);
  const buyerBottom = party('Billed to', inv.billedTo.name, inv.billedTo.lines, MARGIN + CONTENT / 2);

  // Facts: number, dates, both periods.
  let y = Math.max(sellerBottom, buyerBottom) + 18;
  const facts: [string, string][] = [
    ['Invoice number', inv.number],
    ['Issue date', `${inv.issuedOn} (${inv.timeZone})`],
    [inv.periodLabel, inv.period],
    ...(inv.usagePeriod ? ([['Usage period', `${inv.usagePeriod} (overage and application usage)`]] as [string, string][]) : []),
    ['Status', inv.status.label + (inv.paidOn ? `, paid ${inv.paidOn}` : '')],
  ];
  doc.fontSize(10);
  for (const [label, value] of facts) {
    muted().font('Helvetica');
    text(label, MARGIN, y, { width: 120 });
    ink();
    text(value, MARGIN + 125, y, { width: CONTENT - 125 });
    y = doc.y + 3;
  }

  // Lines.
  y += 14;
  const header = (atY: number) => {
    muted().font('Helvetica-Bold').fontSize(9);
    text('Description', COLS.description, atY, { width: WIDTHS.description });
    text('Quantity', COLS.quantity, atY, { width: WIDTHS.quantity, align: 'right' });
    text('Unit price', COLS.unit, atY, { width: WIDTHS.unit, align: 'right' });
    text('Amount', COLS.amount, atY, { width: WIDTHS.amount, align: 'right' });
    doc.moveTo(MARGIN, atY + 14).lineTo(MARGIN + CONTENT, atY + 14).strokeColor('#cccccc').stroke();
    return atY + 20;
  };
  y = header(y);
  ink().font('Helvetica').fontSize(10);
  for (const line of inv.lines) {
    const height = doc.heightOfString(printable(line.description), { width: WIDTHS.description });
    if (y + height > doc.page.height - MARGIN) {
      doc.addPage();
      y = header(MARGIN);
      ink().font('Helvetica').fontSize(10);
    }
    text(line.description, COLS.description, y, { width: WIDTHS.description });
    text(line.quantity, COLS.quantity, y, { width: WIDTHS.quantity, align: 'right' });
    text(line.unitPrice, COLS.unit, y, { width: WIDTHS.unit, align: 'right' });
    text(line.amount, COLS.amount, y, { width: WIDTHS.amount, align: 'right' });
    y += height + 6;
  }
  doc.moveTo(MARGIN, y).lineTo(MARGIN + CONTENT, y).strokeColor('#cccccc').stroke();
  y += 8;

  // Totals, then the credit moved below them (signed as a credit), then the balance after it.
  const totals: [string, string, boolean][] = [
    ['Subtotal', inv.subtotal, false],
    ['Credit applied', inv.creditApplied, false],
    ['Amount due', inv.amountDue, true],
    ['Amount paid', inv.amountPaid, false],
    ['Balance remaining', inv.balanceRemaining, true],
    ...(inv.creditMoved ? ([['Net credit moved to your credit balance', inv.creditMoved, false]] as [string, string, boolean][]) : []),
    ...(inv.creditBalanceAfter ? ([['Credit balance after this invoice', inv.creditBalanceAfter, false]] as [string, string, boolean][]) : []),
  ];
  doc.y = y;
  ensureRoom(totals.length * 16);
  y = doc.y;
  for (const [label, value, strong] of totals) {
    doc.font(strong ? 'Helvetica-Bold' : 'Helvetica').fontSize(10);
    muted();
    if (strong) ink();
    text(label, MARGIN, y, { width: COLS.amount - MARGIN - 10, align: 'right' });
    ink();
    text(value, COLS.amount, y, { width: WIDTHS.amount, align: 'right' });
    y += 16;
  }

  // Payments.
  const section = (title: string) => {
    doc.y = y + 12;
    ensureRoom(40);
    ink().font('Helvetica-Bold').fontSize(11);
    text(title, MARGIN, doc.y);
    doc.font('Helvetica').fontSize(9);
    y = doc.y + 4;
  };
  section('Payments');
  if (inv.attempts.length === 0) {
    muted();
    text('No payment has been attempted for this invoice.', MARGIN, y);
    y = doc.y;
  }
  for (const a of inv.attempts) {
    doc.y = y;
    ensureRoom(14);
    ink();
    text(`${a.time}  ${a.cardLabel}  ${a.amount}  ${a.result.label}${a.failureReason ? ` (${a.failureReason})` : ''}`, MARGIN, doc.y, { width: CONTENT });
    y = doc.y + 2;
  }

  // Application usage of the usage period.
  section(`Application usage${inv.usagePeriod ? `, ${inv.usagePeriod}` : ''}`);
  if (inv.usage.length === 0) {
    muted();
    text('No application usage was billed on this invoice.', MARGIN, y);
    y = doc.y;
  } else {
    const rows = [...inv.usage, { name: 'Total', payloads: inv.usageTotal }];
    for (const [i, u] of rows.entries()) {
      doc.y = y;
      ensureRoom(14);
      y = doc.y;
      ink().font(i === rows.length - 1 ? 'Helvetica-Bold' : 'Helvetica');
      text(u.name, MARGIN, doc.y, { width: 300 });
      text(`${u.payloads} payloads`, MARGIN + 300, y, { width: CONTENT - 300, align: 'right' });
      y = doc.y + 2;
    }
  }

  doc.y = y + 16;
  ensureRoom(14);
  muted().font('Helvetica').fontSize(8);
  text(`Amounts in US dollars. Dates in ${inv.timeZone}.`, MARGIN, doc.y, { width: CONTENT });
  doc.end();
  return done;
}
