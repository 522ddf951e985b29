import type { ApiToken } from '../accounts/queries/api-tokens.ts';
import { toApiId } from './ids.ts';
import { isoDate } from './present.ts';

/**
 * A personal token as Losant's `apiToken` schema has it. `token` (the value)
 * only in the answer that made it; `lastUsedDate` is Orgplane's own field
 * (R16.2: last use recorded, at most once a minute).
 */
export function presentApiToken(t: ApiToken, token?: string) {
  return {
    id: toApiId(t.id),
    apiTokenId: toApiId(t.id),
    ownerId: toApiId(t.userId),
    ownerType: 'user' as const,
    creatorId: toApiId(t.userId),
    creatorType: 'user' as const,
    name: t.name,
    description: t.description,
    creationDate: isoDate(t.createdAt),
    lastUpdated: isoDate(t.updatedAt),
    ...(t.expiresAt ? { expirationDate: isoDate(t.expiresAt) } : {}),
    ...(t.lastUsedAt ? { lastUsedDate: isoDate(t.lastUsedAt) } : {}),
    scope: t.scopes,
    status: t.status,
    ...(token ? { token } : {}),
  };
}
