import type { z } from 'zod';

export type FieldErrors = Record<string, string>;

/** Zod issues to one message per field, for re-rendering a form. */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? '_form');
    out[key] ??= issue.message;
  }
  return out;
}

/** Form bodies arrive as string records; anything else is treated as empty. */
export function formBody(body: unknown): Record<string, unknown> {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** A local path to come back to after logging in; anything else is dropped. */
export function safeNextPath(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || value.length > 2000) return undefined;
  return value;
}

/** A form or query field as text, cut to `max` characters; anything but a string is empty. */
export function formText(value: unknown, max = 40_000): string {
  return typeof value === 'string' ? value.slice(0, max) : '';
}
