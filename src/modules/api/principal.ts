import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticateApiToken } from '../accounts/api-tokens.ts';
import type { ApiToken } from '../accounts/queries/api-tokens.ts';
import type { User } from '../accounts/queries.ts';
import { retryAfterSeconds } from '../rate-limits/gcra.ts';
import { rateLimitRules } from '../rate-limits/rules.ts';
import { ApiError } from './errors.ts';
import { scopesAllow } from './scopes.ts';

/** Who an API request speaks for: a user, through one of their tokens. */
export interface ApiPrincipal {
  user: User;
  apiToken: ApiToken;
}

declare module 'fastify' {
  interface FastifyRequest {
    apiPrincipal: ApiPrincipal | null;
  }
  interface FastifyContextConfig {
    /** R16.2: the Losant action a route performs (`org.get`): the token's scopes must allow it. Absent: the route authenticates on its own. */
    action?: string;
    /** With `action`: a request without an Authorization header goes on with no principal (a token sent is still checked). */
    tokenOptional?: boolean;
  }
}


/** The bearer value of an Authorization header, or null. The API reads no cookies (R16.2). */
export function bearerOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

const unauthorized = (reply: FastifyReply, message: string) => {
  reply.header('WWW-Authenticate', 'Bearer realm="Orgplane API"');
  return new ApiError(401, message);
};

/**
 * preValidation hook of every route with `config.action`: the bearer token must be a
 * good user token whose scopes allow the action, within its rate limit.
 */
export async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const action = request.routeOptions.config.action;
  if (!action) return;
  const { db, clock, limiter, config } = request.server.deps;
  const rule = rateLimitRules(config).apiByToken;
  const bearer = bearerOf(request);
  if (!bearer && request.routeOptions.config.tokenOptional && request.headers.authorization === undefined) return;
  if (!bearer) throw unauthorized(reply, 'Send an API token: "Authorization: Bearer <token>". Get one from POST /api/auth/user or make one on your account page.');
  const check = await authenticateApiToken(db, bearer, clock.now());
  if (!check.ok) {
    const why = {
      unknown: 'This token is not valid.',
      inactive: 'This token has been deactivated. Activate it on your account page or use another one.',
      expired: 'This token has expired. Make a new one on your account page or log in again.',
      credentials_changed: 'This token ended when the account’s password changed or its sessions were signed out. Log in again or make a new token.',
    }[check.reason];
    throw unauthorized(reply, why);
  }
  const admitted = await limiter.take(rule, String(check.apiToken.id));
  if (!admitted.ok) {
    const seconds = retryAfterSeconds(admitted.retryAfterMs);
    reply.header('Retry-After', String(seconds));
    throw new ApiError(429, `Too many requests with this token: ${rule.limit} a minute (bursts of ${rule.burst}). Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`);
  }
  if (!scopesAllow(check.apiToken.scopes, action)) {
    throw new ApiError(403, `This token’s scopes do not allow ${action}.`);
  }
  request.apiPrincipal = { user: check.user, apiToken: check.apiToken };
}

/** The principal of a route with `config.tokenOptional`, or null when the request sent no token. */
export function optionalPrincipalOf(request: FastifyRequest): ApiPrincipal | null {
  return request.apiPrincipal;
}

/** The principal of a route with `config.action` (authenticate ran). */
export function principalOf(request: FastifyRequest): ApiPrincipal {
  if (!request.apiPrincipal) throw new Error('principalOf() on a route without config.action');
  return request.apiPrincipal;
}
