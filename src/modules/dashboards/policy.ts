/**
 * Dashboard rules that need no database (R5.2): the kinds of block, the
 * visibilities, and the shared-password policy, as data.
 */

export const BLOCK_KINDS = ['device_state', 'payloads_over_time'] as const;
export type BlockKind = (typeof BLOCK_KINDS)[number];

export const BLOCK_KIND_LABELS: Record<BlockKind, string> = {
  device_state: 'Device state',
  payloads_over_time: 'Payloads over time',
};

/** Whether a kind of block shows one device (rather than a whole application). */
export const BLOCK_NEEDS_DEVICE: Record<BlockKind, boolean> = {
  device_state: true,
  payloads_over_time: false,
};

export const isBlockKind = (value: unknown): value is BlockKind => typeof value === 'string' && (BLOCK_KINDS as readonly string[]).includes(value);

export const VISIBILITIES = ['private', 'public', 'password'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export const VISIBILITY_LABELS: Record<Visibility, string> = {
  private: 'Private',
  public: 'Public',
  password: 'Password-protected',
};

export const isVisibility = (value: unknown): value is Visibility => typeof value === 'string' && (VISIBILITIES as readonly string[]).includes(value);

/** A dashboard holds at most this many blocks: each costs queries on every view. */
export const MAX_BLOCKS = 24;

/** The days a "Payloads over time" block covers, ending today (UTC). */
export const CHART_DAYS = 30;

export const SHARED_PASSWORD_MIN = 12;
export const SHARED_PASSWORD_MAX = 256;

/** R5.2: what a shared password must contain, each with the words a person reads when it is missing. */
const SHARED_PASSWORD_RULES: { test: (pw: string) => boolean; missing: string }[] = [
  { test: (pw) => [...pw].length >= SHARED_PASSWORD_MIN, missing: `at least ${SHARED_PASSWORD_MIN} characters` },
  { test: (pw) => /\p{Lu}/u.test(pw), missing: 'an upper-case letter' },
  { test: (pw) => /\p{Ll}/u.test(pw), missing: 'a lower-case letter' },
  { test: (pw) => /\p{Nd}/u.test(pw), missing: 'a digit' },
  { test: (pw) => /[^\p{L}\p{N}\s]/u.test(pw), missing: 'a symbol (like ! # % or -)' },
];

/** What the password lacks under R5.2; empty when it is good enough. */
export function sharedPasswordShortfalls(password: string): string[] {
  return SHARED_PASSWORD_RULES.filter((r) => !r.test(password)).map((r) => r.missing);
}

/** "a, b and c" */
export function listInWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

export const SHARED_PASSWORD_HINT = `At least ${SHARED_PASSWORD_MIN} characters, with an upper-case letter, a lower-case letter, a digit and a symbol.`;
