import { z } from 'zod';
import { isTimeZone } from '../../format.ts';

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;
export const NAME_MAX = 100;

const email = z
  .string({ error: 'Enter your email address.' })
  .trim()
  .min(1, 'Enter your email address.')
  .max(320, 'That email address is too long.')
  .pipe(z.email({ error: 'Enter a valid email address, like name@example.com.' }));

const name = z
  .string({ error: 'Enter your name.' })
  .trim()
  .min(1, 'Enter your name.')
  .max(NAME_MAX, `Your name can be at most ${NAME_MAX} characters.`);

const newPassword = z
  .string({ error: 'Choose a password.' })
  .min(PASSWORD_MIN, `Use at least ${PASSWORD_MIN} characters for your password.`)
  .max(PASSWORD_MAX, `Your password can be at most ${PASSWORD_MAX} characters.`);

const currentPassword = z
  .string({ error: 'Enter your current password.' })
  .min(1, 'Enter your current password.')
  .max(PASSWORD_MAX, 'Your current password is not correct.');

export const signUpSchema = z.object({
  name,
  email,
  password: newPassword,
  // R1.5: filled in by the browser's script; without JavaScript (or with a
  // name this server does not know) the account reads in UTC.
  time_zone: z.unknown().optional().transform((v) => (isTimeZone(v) ? v : 'UTC')),
});

export const logInSchema = z.object({
  email,
  password: z.string({ error: 'Enter your password.' }).min(1, 'Enter your password.').max(PASSWORD_MAX, 'Email or password is incorrect.'),
});

// R1.4, R1.5: the account page's forms.
export const profileSchema = z.object({
  name,
  time_zone: z.string({ error: 'Choose a time zone.' }).refine(isTimeZone, 'Choose a time zone from the list.'),
});

export const emailChangeSchema = z.object({
  email: email.transform((e) => e.toLowerCase()),
  current_password: currentPassword,
});

export const passwordChangeSchema = z.object({
  current_password: currentPassword,
  new_password: newPassword,
});

export const forgotPasswordSchema = z.object({ email });

export const resetPasswordSchema = z.object({ new_password: newPassword });

/** What the sign-up use case needs; `timeZone` defaults to UTC (R1.5). */
export interface SignUpInput {
  name: string;
  email: string;
  password: string;
  timeZone?: string;
}
export type LogInInput = z.infer<typeof logInSchema>;
