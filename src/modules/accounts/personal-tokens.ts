import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import { issueApiToken } from './api-tokens.ts';
import type { User } from './queries.ts';
import { deleteApiToken, findApiToken, listApiTokens, updateApiToken, type ApiToken, type ApiTokenStatus } from './queries/api-tokens.ts';

/**
 * R1.4, R16.2: personal API tokens, made, listed, changed and revoked by
 * their owner on the account page and through the API (/api/me/tokens). One
 * use case for both: the same checks, the same limits. A token's value is
 * answered once, when it is made; only its hash is kept.
 */

export const TOKEN_NAME_MAX = 255;
export const TOKEN_DESCRIPTION_MAX = 1000;
/** How many personal tokens one account may hold at once. */
export const PERSONAL_TOKENS_MAX = 50;

export type TokenField = 'name' | 'description' | 'scope' | 'expirationDate' | '_form';

export type CreatePersonalTokenResult =
  | { ok: true; token: string; apiToken: ApiToken }
  | { ok: false; field: TokenField; message: string; status: 400 | 409 };

export interface PersonalTokenInput {
  name: string;
  description?: string;
  scopes: string[];
  expiresAt: Date | null;
}

/**
 * Makes a personal token. `scopeRefusal` says why a scope may not be given
 * (unknown, or wider than the token that asks: the caller knows), or null.
 */
export async function createPersonalToken(
  deps: { db: Sql; clock: Clock },
  user: Pick<User, 'id' | 'credentialsChangedAt'>,
  input: PersonalTokenInput,
  scopeRefusal: (scope: string) => string | null,
): Promise<CreatePersonalTokenResult> {
  const now = deps.clock.now();
  const name = input.name.trim();
  const refuse = (field: TokenField, message: string, status: 400 | 409 = 400) => ({ ok: false, field, message, status }) as const;
  if (name === '') return refuse('name', 'Give the token a name, so you can tell it apart later.');
  if (name.length > TOKEN_NAME_MAX) return refuse('name', `A token’s name can be at most ${TOKEN_NAME_MAX} characters.`);
  const description = (input.description ?? '').trim();
  if (description.length > TOKEN_DESCRIPTION_MAX) return refuse('description', `A token’s description can be at most ${TOKEN_DESCRIPTION_MAX} characters.`);
  if (input.scopes.length === 0) return refuse('scope', 'Choose at least one scope: what the token may do.');
  for (const scope of input.scopes) {
    const why = scopeRefusal(scope);
    if (why) return refuse('scope', why);
  }
  if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) return refuse('expirationDate', 'The expiry date must be in the future.');
  return deps.db.transaction(async (trx) => {
    const held = await listApiTokens(trx, user.id, 'personal');
    if (held.length >= PERSONAL_TOKENS_MAX) {
      return refuse('_form', `An account can hold at most ${PERSONAL_TOKENS_MAX} personal tokens. Revoke one you no longer use first.`, 409);
    }
    const made = await issueApiToken(trx, { user, kind: 'personal', name, description, scopes: [...new Set(input.scopes)], expiresAt: input.expiresAt, now });
    return { ok: true, ...made } as const;
  });
}

/** One of the user's personal tokens (never a log-in token, never another user's). */
export async function findPersonalToken(db: Sql, userId: number, id: number): Promise<ApiToken | undefined> {
  const token = await findApiToken(db, userId, id);
  return token?.kind === 'personal' ? token : undefined;
}

export const listPersonalTokens = (db: Sql, userId: number) => listApiTokens(db, userId, 'personal');

export type ChangePersonalTokenResult = { ok: true; apiToken: ApiToken } | { ok: false; reason: 'not_found' } | { ok: false; reason: 'invalid'; field: TokenField; message: string };

/** Renames, describes, deactivates or reactivates one of the user's personal tokens. */
export async function changePersonalToken(
  deps: { db: Sql; clock: Clock },
  userId: number,
  id: number,
  changes: { name?: string; description?: string; status?: ApiTokenStatus },
): Promise<ChangePersonalTokenResult> {
  const out: { name?: string; description?: string; status?: ApiTokenStatus } = {};
  if (changes.name !== undefined) {
    const name = changes.name.trim();
    if (name === '' || name.length > TOKEN_NAME_MAX) return { ok: false, reason: 'invalid', field: 'name', message: `A token’s name must have 1 to ${TOKEN_NAME_MAX} characters.` };
    out.name = name;
  }
  if (changes.description !== undefined) {
    const description = changes.description.trim();
    if (description.length > TOKEN_DESCRIPTION_MAX) return { ok: false, reason: 'invalid', field: 'description', message: `A token’s description can be at most ${TOKEN_DESCRIPTION_MAX} characters.` };
    out.description = description;
  }
  if (changes.status !== undefined) out.status = changes.status;
  if (!(await findPersonalToken(deps.db, userId, id))) return { ok: false, reason: 'not_found' };
  const apiToken = await updateApiToken(deps.db, userId, id, out, deps.clock.now());
  return apiToken ? { ok: true, apiToken } : { ok: false, reason: 'not_found' };
}

/** Revokes (deletes) one of the user's personal tokens: it stops working at once. False when there is no such token. */
export async function revokePersonalToken(db: Sql, userId: number, id: number): Promise<boolean> {
  if (!(await findPersonalToken(db, userId, id))) return false;
  return deleteApiToken(db, userId, id);
}
