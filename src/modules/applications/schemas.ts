import { z } from 'zod';

const name = (what: string) =>
  z
    .string({ error: `Enter a name for the ${what}.` })
    .trim()
    .min(1, `Enter a name for the ${what}.`)
    .max(255, `The ${what} name can be at most 255 characters.`);

const description = z
  .string()
  .max(32_767, 'The description can be at most 32,767 characters.')
  .default('')
  .transform((s) => s.trim());

export const applicationSchema = z.object({ name: name('application'), description });
export const deviceSchema = z.object({ name: name('device') });
export const workflowSchema = z.object({
  name: name('workflow'),
  description: z.string().max(5_000, 'The description can be at most 5,000 characters.').default('').transform((s) => s.trim()),
  enabled: z.preprocess((v) => v === 'on' || v === 'true' || v === '1', z.boolean()),
});
export const accessKeySchema = z.object({
  name: z.string({ error: 'Enter a name for the key.' }).trim().min(1, 'Enter a name for the key, such as "Gateway 3".').max(100, 'The key name can be at most 100 characters.'),
});
