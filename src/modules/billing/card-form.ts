import { z } from 'zod';

/** Card fields as typed into the simulated gateway's form (R9.6); never stored. */
export const cardSchema = z.object({
  card_number: z
    .string({ error: 'Enter your card number.' })
    .transform((s) => s.replace(/[\s-]/g, ''))
    .refine((s) => s.length > 0, 'Enter your card number.')
    .refine((s) => /^\d{12,19}$/.test(s), 'Your card number is incomplete or has characters other than digits.'),
  card_expiry: z
    .string({ error: 'Enter the expiry date as MM/YY.' })
    .trim()
    .regex(/^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/, 'Enter the expiry date as MM/YY.')
    .transform((s) => {
      const [m, y] = s.split('/').map((p) => Number(p.trim())) as [number, number];
      return { month: m, year: y < 100 ? 2000 + y : y };
    })
    .refine((e) => e.month >= 1 && e.month <= 12, 'The expiry month must be between 01 and 12.'),
  card_cvc: z
    .string({ error: 'Enter the CVC.' })
    .trim()
    .regex(/^\d{3,4}$/, 'The CVC is the 3 or 4 digits on your card.'),
});

export interface TypedCard {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

/**
 * The card fields as typed, checked as a whole: every field's message at
 * once, and an expiry in the past flagged on Expiry (a card is good through
 * the last day of its month, UTC) even when another field is wrong too.
 */
export function parseCardForm(body: Record<string, unknown>, now: Date): { ok: true; card: TypedCard } | { ok: false; errors: Record<string, string> } {
  const parsed = cardSchema.safeParse(body);
  const errors: Record<string, string> = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) errors[String(issue.path[0] ?? 'card_number')] ??= issue.message;
  }
  const expiry = parsed.success ? parsed.data.card_expiry : cardSchema.shape.card_expiry.safeParse(body.card_expiry).data;
  if (expiry && !errors.card_expiry && isPastExpiry(expiry, now)) {
    errors.card_expiry = `This card expired at the end of ${String(expiry.month).padStart(2, '0')}/${String(expiry.year).slice(-2)}. Check the date, or use another card.`;
  }
  if (!parsed.success || Object.keys(errors).length) return { ok: false, errors };
  const c = parsed.data;
  return { ok: true, card: { number: c.card_number, expMonth: c.card_expiry.month, expYear: c.card_expiry.year, cvc: c.card_cvc } };
}

const isPastExpiry = (e: { month: number; year: number }, now: Date) =>
  e.year < now.getUTCFullYear() || (e.year === now.getUTCFullYear() && e.month < now.getUTCMonth() + 1);
