import { z } from 'zod';
import { isRole } from '../tenancy/policy.ts';

/** R4.1: the invite form on Settings → Members (its per-resource roles are read apart, invite-routes.ts). */
export const inviteSchema = z.object({
  email: z
    .string({ error: 'Enter the email address to invite.' })
    .trim()
    .min(1, 'Enter the email address to invite.')
    .max(320, 'That email address is too long.')
    .pipe(z.email({ error: 'Enter a valid email address, like name@example.com.' })),
  role: z.string({ error: 'Choose a role.' }).refine(isRole, 'Choose one of the roles in the list.'),
});
