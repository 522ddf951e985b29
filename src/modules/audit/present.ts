import { formatCount, utcDates, type Dates } from '../../format.ts';
import { formatCents } from '../../money.ts';
import type { AuditEvent } from './queries.ts';

/**
 * How the Audit Log reads (R4.5, R9.1, R1.5): action names in words, amounts
 * as $1,234.56, instants through the shared date formatter. Entries written
 * before amounts were stored formatted (raw cents under these keys) read the
 * same as new ones. Pure; the page and the CSV export place these strings.
 */

export const ACTION_LABELS: Record<string, string> = {
  'organization.created': 'Organization created',
  'organization.deleted': 'Organization deleted',
  'settings.general_updated': 'General settings changed',
  'member.role_changed': 'Member role changed',
  'member.removed': 'Member removed',
  'member.left': 'Member left',
  'member.resource_roles_changed': 'Resource access changed',
  'invitation.sent': 'Invitation sent',
  'invitation.renewed': 'Invitation renewed',
  'invitation.revoked': 'Invitation revoked',
  'invitation.accepted': 'Invitation accepted',
  'invitation.declined': 'Invitation declined',
  'dashboard.created': 'Dashboard created',
  'dashboard.deleted': 'Dashboard deleted',
  'dashboard.visibility_changed': 'Dashboard visibility changed',
  'application.transferred_in': 'Application transferred in',
  'application.transferred_out': 'Application transferred out',
  'dashboard.transferred_in': 'Dashboard transferred in',
  'dashboard.transferred_out': 'Dashboard transferred out',
  'billing.plan_changed': 'Plan changed',
  'billing.payment_method_changed': 'Payment method changed',
  'billing.details_changed': 'Billing details changed',
  'billing.status_changed': 'Billing status changed',
  'billing.credit_granted': 'Credit granted',
  'billing.charge_retried': 'Charge retried',
  'billing.invoice_voided': 'Invoice voided',
  'billing.invoice_marked_uncollectible': 'Invoice marked uncollectible',
  'plan.custom_created': 'Custom plan created',
};

/** An action's name in words; an unknown one from its key ("thing.did_x" → "Thing did x"). */
export function actionLabel(action: string): string {
  return ACTION_LABELS[action] ?? sentence(action.replace(/[._]/g, ' '));
}

/** Keys whose numbers are cents (entries written before amounts were stored formatted). */
const MONEY_KEYS = new Set(['price', 'prorationCredit', 'prorationCharge', 'firstCharge', 'creditToRefund', 'granted', 'creditBalance', 'balanceDue', 'paid', 'outstanding', 'amount']);

const FIELD_LABELS: Record<string, string> = {
  prorationCredit: 'Proration credit',
  prorationCharge: 'Proration charge',
  firstCharge: 'First charge',
  creditToRefund: 'Credit to refund',
  invitationsCancelled: 'Invitations cancelled',
  finalInvoice: 'Final invoice',
  expiresAt: 'Expires',
  invitedAs: 'Invited as',
  openInvoices: 'Open invoices',
  balanceDue: 'Balance due',
  creditBalance: 'Credit balance',
  overagePerMillion: 'Overage per million',
  payloadsPerMonth: 'Payloads a month',
  retentionDays: 'Retention days',
  resourceRoles: 'Resource roles',
};

const sentence = (s: string) => (s ? s.charAt(0).toUpperCase() + s.slice(1).toLowerCase() : s);
/** "invitationsCancelled" → "Invitations cancelled"; keys already in words stay as they are. */
export const fieldLabel = (key: string) => FIELD_LABELS[key] ?? (/\s/.test(key) ? key : sentence(key.replace(/([a-z])([A-Z])/g, '$1 $2')));

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z$/;

/** One value as a person reads it; an instant in the reader's dates (R1.5), UTC for a file. */
export function valueText(key: string, value: unknown, dates: Dates = utcDates): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'number') return MONEY_KEYS.has(key) && Number.isSafeInteger(value) ? formatCents(value) : formatCount(value);
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'string') return ISO_INSTANT.test(value) && !Number.isNaN(Date.parse(value)) ? dates.dateTime(new Date(value)) : value;
  return JSON.stringify(value);
}

export interface AuditChange {
  field: string;
  before: string | null;
  after: string | null;
}

/** The fields an entry names, before and after, in the order they were written. */
export function auditChanges(before: unknown, after: unknown, dates: Dates = utcDates): AuditChange[] {
  const b = before && typeof before === 'object' ? (before as Record<string, unknown>) : before === undefined ? {} : { value: before };
  const a = after && typeof after === 'object' ? (after as Record<string, unknown>) : after === undefined ? {} : { value: after };
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  return keys.map((k) => ({
    field: fieldLabel(k),
    before: k in b ? valueText(k, b[k], dates) : null,
    after: k in a ? valueText(k, a[k], dates) : null,
  }));
}

export function presentAuditEvent(e: AuditEvent, dates: Dates = utcDates) {
  return {
    id: e.id,
    at: dates.dateTime(e.createdAt),
    atIso: e.createdAt.toISOString(),
    actor: e.actorLabel,
    action: actionLabel(e.action),
    actionKey: e.action,
    target: e.targetLabel,
    changes: auditChanges(e.before, e.after, dates),
  };
}

/** "1 entry", "25 entries". */
export const entriesText = (n: number) => `${formatCount(n)} ${n === 1 ? 'entry' : 'entries'}`;
