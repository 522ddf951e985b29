import { randomBytes } from 'node:crypto';
import type { Sql } from '../../db/sql.ts';
import { hashLinkToken } from '../../tokens.ts';
import type { User } from './queries.ts';
import { findApiToken, findApiTokenWithUserByHash, insertApiToken, recordApiTokenUse, type ApiToken, type ApiTokenKind, type ApiTokenStatus } from './queries/api-tokens.ts';

/**
 * R16.2: the REST API's bearer tokens, owned by the accounts module.
 *
 * - `login`: made by POST /api/auth/user from an email and password; all
 *   scopes of the user.
 * - `personal`: made by their owner on the account page or through the API,
 *   with a name, scopes and an optional expiry; shown once.
 *
 * A token is 32 random bytes in base64url after the prefix `opl_` (so a
 * secret scanner can recognise one); only its SHA-256 is stored. A token is
 * good while it is active, not expired, and made under the user's current
 * credentials mark (users.credentials_changed_at): a new password, a reset or
 * "Sign out other sessions" ends every token as it ends every session (R1.4).
 */

const TOKEN_PREFIX = 'opl_';
/** How often a token's last use is written: at most once a minute, so a busy script does not write on every call. */
const LAST_USE_RESOLUTION_MS = 60_000;

/** Whether a bearer value has the shape of one of our API tokens (no database read for anything else). */
export const looksLikeApiToken = (value: string) => /^opl_[A-Za-z0-9_-]{43}$/.test(value);

export async function issueApiToken(
  db: Sql,
  input: {
    user: Pick<User, 'id' | 'credentialsChangedAt'>;
    kind: ApiTokenKind;
    name: string;
    description?: string;
    scopes: string[];
    expiresAt: Date | null;
    status?: ApiTokenStatus;
    now: Date;
  },
): Promise<{ token: string; apiToken: ApiToken }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const id = await insertApiToken(db, {
    userId: input.user.id,
    kind: input.kind,
    name: input.name,
    description: input.description ?? '',
    scopes: input.scopes,
    tokenHash: hashLinkToken(token),
    credentialsMark: input.user.credentialsChangedAt,
    status: input.status ?? 'active',
    createdAt: input.now,
    expiresAt: input.expiresAt,
  });
  const apiToken = (await findApiToken(db, input.user.id, id))!;
  return { token, apiToken };
}

export type TokenCheck =
  | { ok: true; user: User; apiToken: ApiToken }
  | { ok: false; reason: 'unknown' | 'inactive' | 'expired' | 'credentials_changed' };

/**
 * The user a bearer token speaks for, and the token. Records the use (at
 * most once a minute per token).
 */
export async function authenticateApiToken(db: Sql, token: string, now: Date): Promise<TokenCheck> {
  if (!looksLikeApiToken(token)) return { ok: false, reason: 'unknown' };
  const found = await findApiTokenWithUserByHash(db, hashLinkToken(token));
  if (!found) return { ok: false, reason: 'unknown' };
  const { apiToken, user, credentialsMark } = found;
  if (apiToken.status !== 'active') return { ok: false, reason: 'inactive' };
  if (apiToken.expiresAt && apiToken.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  if (user.credentialsChangedAt !== null && credentialsMark !== user.credentialsChangedAt) return { ok: false, reason: 'credentials_changed' };
  if (!apiToken.lastUsedAt || now.getTime() - apiToken.lastUsedAt.getTime() >= LAST_USE_RESOLUTION_MS) {
    await recordApiTokenUse(db, apiToken.id, now);
    apiToken.lastUsedAt = now;
  }
  return { ok: true, user, apiToken };
}
