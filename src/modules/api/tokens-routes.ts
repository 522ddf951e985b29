import type { FastifyInstance } from 'fastify';
import type { ApiTokenStatus } from '../accounts/queries/api-tokens.ts';
import { changePersonalToken, createPersonalToken, findPersonalToken, listPersonalTokens, revokePersonalToken, TOKEN_DESCRIPTION_MAX, TOKEN_NAME_MAX } from '../accounts/personal-tokens.ts';
import { ApiError, apiNotFound } from './errors.ts';
import { apiIdSchema, fromApiId } from './ids.ts';
import { listEnvelope, listQuerySchema, type ListQuery } from './list.ts';
import { presentApiToken } from './present-me.ts';
import { principalOf } from './principal.ts';
import { knownScope, scopesAllow } from './scopes.ts';
import { assertNever } from '../../assert-never.ts';

/**
 * Whether a token holding `held` may give `scope` to a new token: never
 * wider than itself, so a token allowed only to make tokens cannot mint a
 * stronger one.
 */
export function scopeWithin(held: readonly string[], scope: string): boolean {
  if (held.includes(scope)) return true;
  const group = /^all\.(User|Organization|Application|Device)(\.read)?$/.exec(scope);
  if (group) {
    const [, name, read] = group;
    // all.User holds every group (and all.User.read every group's reading).
    const wider = [`all.${name}`, 'all.User', ...(name === 'Device' ? ['all.Application'] : [])];
    const readers = read ? [`all.${name}.read`, 'all.User.read', ...(name === 'Device' ? ['all.Application.read'] : [])] : [];
    return [...wider, ...readers].some((s) => held.includes(s));
  }
  // `org.*` and `org.patch` alike: allowed by what allows that action.
  return scopesAllow(held, scope);
}

const tokenParams = {
  type: 'object',
  properties: { apiTokenId: apiIdSchema },
  required: ['apiTokenId'],
} as const;

const nameSchema = { type: 'string', minLength: 1, maxLength: TOKEN_NAME_MAX } as const;
const descriptionSchema = { type: 'string', maxLength: TOKEN_DESCRIPTION_MAX } as const;

interface TokenPost {
  name: string;
  description?: string;
  expirationDate?: string;
  scope?: string[];
}
interface TokenPatch {
  name?: string;
  description?: string;
  status?: ApiTokenStatus;
}

const SORTABLE = ['name', 'status', 'creationDate', 'lastUpdated', 'expirationDate', 'lastUsedDate'] as const;

/** R16.2: personal API tokens through the API (`userApiTokens`, `userApiToken`), the same use case as the account page. */
export async function tokensRoutes(api: FastifyInstance): Promise<void> {
  const { deps } = api;

  api.get<{ Querystring: ListQuery }>(
    '/me/tokens',
    {
      config: { action: 'userApiTokens.get' },
      schema: { tags: ['userApiTokens'], summary: 'Your personal API tokens, with their last use (userApiTokens.get)', querystring: { type: 'object', properties: listQuerySchema } },
    },
    async (request) => {
      const { user } = principalOf(request);
      const items = (await listPersonalTokens(deps.db, user.id)).map((t) => presentApiToken(t));
      return listEnvelope(items, request.query, { fields: SORTABLE, defaultSort: 'name' });
    },
  );

  api.post<{ Body: TokenPost }>(
    '/me/tokens',
    {
      config: { action: 'userApiTokens.post' },
      schema: {
        tags: ['userApiTokens'],
        summary: 'Make a personal API token; its value is answered this once (userApiTokens.post)',
        body: {
          type: 'object',
          properties: {
            name: nameSchema,
            description: descriptionSchema,
            expirationDate: { type: 'string', format: 'date-time' },
            scope: { type: 'array', uniqueItems: true, maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 128 } },
          },
          required: ['name'],
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const { user, apiToken: caller } = principalOf(request);
      const body = request.body;
      // Without `scope`, the new token may do what the token that made it may.
      const scopes = body.scope ?? caller.scopes;
      const result = await createPersonalToken(
        deps,
        user,
        { name: body.name, description: body.description, scopes, expiresAt: body.expirationDate ? new Date(body.expirationDate) : null },
        (scope) =>
          !knownScope(scope) ? `Unknown scope ${scope}.` : !scopeWithin(caller.scopes, scope) ? `${scope} is wider than the scopes of the token making this one.` : null,
      );
      if (!result.ok) throw new ApiError(result.status, result.field === '_form' ? result.message : `${result.field}: ${result.message}`);
      return reply.code(201).send(presentApiToken(result.apiToken, result.token));
    },
  );

  const tokenOf = async (userId: number, wireId: string) => {
    const id = fromApiId(wireId);
    const token = id === null ? undefined : await findPersonalToken(deps.db, userId, id);
    if (!token) throw apiNotFound('API token');
    return token;
  };

  api.get<{ Params: { apiTokenId: string } }>(
    '/me/tokens/:apiTokenId',
    { config: { action: 'userApiToken.get' }, schema: { tags: ['userApiToken'], summary: 'One of your personal API tokens, without its value (userApiToken.get)', params: tokenParams } },
    async (request) => presentApiToken(await tokenOf(principalOf(request).user.id, request.params.apiTokenId)),
  );

  api.patch<{ Params: { apiTokenId: string }; Body: TokenPatch }>(
    '/me/tokens/:apiTokenId',
    {
      config: { action: 'userApiToken.patch' },
      schema: {
        tags: ['userApiToken'],
        summary: 'Rename, describe, deactivate or reactivate a personal API token (userApiToken.patch)',
        params: tokenParams,
        body: {
          type: 'object',
          properties: { name: nameSchema, description: descriptionSchema, status: { type: 'string', enum: ['active', 'inactive'] } },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { user } = principalOf(request);
      const token = await tokenOf(user.id, request.params.apiTokenId);
      const result = await changePersonalToken(deps, user.id, token.id, request.body);
      if (!result.ok) {
        switch (result.reason) {
          case 'not_found':
            throw apiNotFound('API token');
          case 'invalid':
            throw new ApiError(400, `${result.field}: ${result.message}`);
          default:
            return assertNever(result);
        }
      }
      return presentApiToken(result.apiToken);
    },
  );

  api.delete<{ Params: { apiTokenId: string } }>(
    '/me/tokens/:apiTokenId',
    { config: { action: 'userApiToken.delete' }, schema: { tags: ['userApiToken'], summary: 'Revoke a personal API token: it stops working at once (userApiToken.delete)', params: tokenParams } },
    async (request) => {
      const { user } = principalOf(request);
      const token = await tokenOf(user.id, request.params.apiTokenId);
      if (!(await revokePersonalToken(deps.db, user.id, token.id))) throw apiNotFound('API token');
      return { success: true };
    },
  );
}
