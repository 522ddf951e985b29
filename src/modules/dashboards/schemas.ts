import { z } from 'zod';
import { formatCount } from '../../format.ts';
import { BLOCK_NEEDS_DEVICE, isBlockKind, isVisibility, SHARED_PASSWORD_MAX, type BlockKind, type Visibility } from './policy.ts';

export const NAME_MAX = 255;
export const DESCRIPTION_MAX = 2_000;
export const TITLE_MAX = 255;

const name = z
  .string({ error: 'Enter a name for the dashboard.' })
  .trim()
  .min(1, 'Enter a name for the dashboard.')
  .max(NAME_MAX, `The name can be at most ${NAME_MAX} characters.`);

const description = z
  .string()
  .max(DESCRIPTION_MAX, `The description can be at most ${formatCount(DESCRIPTION_MAX)} characters.`)
  .default('')
  .transform((s) => s.trim());

/** Name and description, on creation and on the dashboard's edit form. */
export const dashboardDetailsSchema = z.object({ name, description });

export const createDashboardSchema = dashboardDetailsSchema.extend({
  owner: z.string({ error: 'Choose who owns the dashboard.' }).min(1, 'Choose who owns the dashboard.'),
});

const optionalId = z
  .string()
  .trim()
  .default('')
  .refine((s) => s === '' || /^\d{1,10}$/.test(s), 'Choose one of the options in the list.')
  .transform((s) => (s === '' ? null : Number(s)));

export const addBlockSchema = z
  .object({
    kind: z.string({ error: 'Choose the type of block.' }).refine(isBlockKind, 'Choose the type of block from the list.').transform((s) => s as BlockKind),
    title: z
      .string()
      .max(TITLE_MAX, `The title can be at most ${TITLE_MAX} characters.`)
      .default('')
      .transform((s) => s.trim()),
    application_id: optionalId,
    device_id: optionalId,
  })
  .superRefine((v, ctx) => {
    if (v.application_id === null) ctx.addIssue({ code: 'custom', path: ['application_id'], message: 'Choose the application whose data the block shows.' });
    if (BLOCK_NEEDS_DEVICE[v.kind] && v.device_id === null) {
      ctx.addIssue({ code: 'custom', path: ['device_id'], message: 'Choose the device whose latest state the block shows.' });
    }
  });


/**
 * R5.2: visibility and, for password-protected, the shared password. Only the
 * shape is checked here; the password policy and "a blank password keeps the
 * current one" belong to the set-visibility use case.
 */
export const visibilitySchema = z.object({
  visibility: z.string({ error: 'Choose who can see the dashboard.' }).refine(isVisibility, 'Choose who can see the dashboard.').transform((s) => s as Visibility),
  password: z.string().max(SHARED_PASSWORD_MAX, `The shared password can be at most ${SHARED_PASSWORD_MAX} characters.`).default(''),
});

export const unlockSchema = z.object({
  password: z.string({ error: 'Enter the password.' }).min(1, 'Enter the password.').max(SHARED_PASSWORD_MAX, 'That password is not right.'),
});
