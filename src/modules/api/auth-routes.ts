import type { FastifyInstance } from 'fastify';
import { issueApiToken } from '../accounts/api-tokens.ts';
import { logIn } from '../accounts/log-in.ts';
import { clientAddress, clientSubject } from '../rate-limits/http.ts';
import { retryAfterSeconds } from '../rate-limits/gcra.ts';
import { rateLimitRules } from '../rate-limits/rules.ts';
import { ApiError } from './errors.ts';
import { toApiId } from './ids.ts';
import { ALL_SCOPES, knownScope } from './scopes.ts';
import { DAY_MS } from '../../clock.ts';
import { assertNever } from '../../assert-never.ts';

/** How long a log-in token lasts when the client asks for no tokenTTL. */
const LOGIN_TOKEN_TTL_MS = 30 * DAY_MS;

interface UserCredentials {
  email: string;
  password: string;
  twoFactorCode?: string;
  requestedScopes?: string[];
  tokenTTL?: number;
}

/** R16.2: POST /api/auth/user trades an email and password for a token (Losant's auth.authenticateUser). */
export async function authRoutes(api: FastifyInstance): Promise<void> {
  const { deps } = api;
  const rules = rateLimitRules(deps.config);

  api.post<{ Body: UserCredentials }>(
    '/auth/user',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in: trade an email and password for a user token (auth.authenticateUser)',
        body: {
          type: 'object',
          properties: {
            email: { type: 'string', format: 'email', maxLength: 1024 },
            password: { type: 'string', minLength: 1, maxLength: 2048 },
            twoFactorCode: { type: 'string', maxLength: 2048 },
            requestedScopes: { type: 'array', uniqueItems: true, items: { type: 'string', maxLength: 128 } },
            tokenTTL: { type: 'integer', minimum: 0 },
          },
          required: ['email', 'password'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { userId: { type: 'string' }, token: { type: 'string' } },
            required: ['userId', 'token'],
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const unknown = body.requestedScopes?.find((s) => !knownScope(s));
      if (unknown) throw new ApiError(400, `Unknown scope ${unknown}.`);
      const byAddress = await deps.limiter.take(rules.logInByAddress, clientSubject(request));
      if (!byAddress.ok) {
        reply.header('Retry-After', String(retryAfterSeconds(byAddress.retryAfterMs)));
        throw new ApiError(429, `Too many log-in attempts from your address. Try again in ${retryAfterSeconds(byAddress.retryAfterMs)} seconds.`);
      }
      const result = await logIn(deps, { email: body.email, password: body.password }, { address: clientAddress(request) });
      if (!result.ok) {
        switch (result.reason) {
          case 'account_throttled':
            reply.header('Retry-After', String(retryAfterSeconds(result.retryAfterMs)));
            throw new ApiError(429, `Too many failed attempts to log in to this account. Try again in ${retryAfterSeconds(result.retryAfterMs)} seconds.`);
          case 'invalid_credentials':
            throw new ApiError(401, 'Email or password is incorrect.');
          default:
            return assertNever(result);
        }
      }
      const now = deps.clock.now();
      const ttlMs = body.tokenTTL ? body.tokenTTL * 1000 : LOGIN_TOKEN_TTL_MS;
      const { token } = await issueApiToken(deps.db, {
        user: result.user,
        kind: 'login',
        name: 'Log-in token',
        scopes: body.requestedScopes?.length ? body.requestedScopes : ALL_SCOPES,
        expiresAt: new Date(now.getTime() + ttlMs),
        now,
      });
      return { userId: toApiId(result.user.id), token };
    },
  );
}
