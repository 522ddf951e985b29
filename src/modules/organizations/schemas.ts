import { z } from 'zod';
import { isIconColor } from '../tenancy/icon.ts';

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
  .refine(isIconColor, 'Choose an icon color from the list.');

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
