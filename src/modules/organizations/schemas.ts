import { z } from 'zod';
import { isIconColor } from './icon.ts';

export const NAME_MAX = 255;
export const DESCRIPTION_MAX = 32_767;

export const organizationName = z
  .string({ error: 'Enter a name for the organization.' })
  .trim()
  .min(1, 'Enter a name for the organization.')
  .max(NAME_MAX, `The name can be at most ${NAME_MAX} characters.`);

export const organizationDescription = z
  .string()
  .max(DESCRIPTION_MAX, `The description can be at most ${DESCRIPTION_MAX.toLocaleString('en-US')} characters.`)
  .default('')
  .transform((s) => s.trim());

export const iconColor = z
  .string({ error: 'Choose an icon color.' })
  .trim()
  .toLowerCase()
  .refine(isIconColor, 'Choose an icon color from the list, or a color like #1a2b3c.');

export const billingEmail = z
  .string({ error: 'Enter the billing email address.' })
  .trim()
  .min(1, 'Enter the billing email address.')
  .max(320, 'That email address is too long.')
  .pipe(z.email({ error: 'Enter a valid billing email address, like billing@example.com.' }));

export const generalSettingsSchema = z.object({
  name: organizationName,
  description: organizationDescription,
  icon_color: iconColor,
});

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

export const organizationDetailsSchema = z.object({
  name: organizationName,
  description: organizationDescription,
  icon_color: iconColor,
  billing_email: billingEmail,
});

export const enterpriseInquirySchema = z.object({
  name: z.string({ error: 'Enter your name.' }).trim().min(1, 'Enter your name.').max(100, 'Your name can be at most 100 characters.'),
  email: z
    .string({ error: 'Enter your email address.' })
    .trim()
    .min(1, 'Enter your email address.')
    .max(320, 'That email address is too long.')
    .pipe(z.email({ error: 'Enter a valid email address, like name@example.com.' })),
  company: z.string({ error: 'Enter your company.' }).trim().min(1, 'Enter your company.').max(255, 'The company name can be at most 255 characters.'),
  expected_devices: z
    .string()
    .trim()
    .default('')
    .refine((s) => s === '' || /^\d{1,9}$/.test(s), 'Enter the number of devices as a whole number.')
    .transform((s) => (s === '' ? null : Number(s))),
  message: z.string({ error: 'Tell us what you need.' }).trim().min(1, 'Tell us what you need.').max(5000, 'The message can be at most 5,000 characters.'),
});
