import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import fastifySwagger from '@fastify/swagger';
import type { FastifyError, FastifyInstance } from 'fastify';
import { HttpError } from '../../http/errors.ts';
import { redactUrl } from '../../http/log-redaction.ts';
import { applicationApiRoutes } from './application-routes.ts';
import { authRoutes } from './auth-routes.ts';
import { docsRoutes } from './docs-routes.ts';
import { dashboardApiRoutes } from './dashboard-routes.ts';
import { deviceAuthRoutes } from './device-auth-routes.ts';
import { meRoutes } from './me-routes.ts';
import { orgsRoutes } from './orgs-routes.ts';
import { tokensRoutes } from './tokens-routes.ts';
import { membersRoutes } from './members-routes.ts';
import { errorType } from './errors.ts';
import { authenticate } from './principal.ts';

/**
 * R16: the REST API, mounted at /api in a Fastify context of its own: no
 * cookie, session or CSRF plugin runs here (app.ts registers those for the
 * pages only), so the API reads no cookies and a call signs no session.
 * Every route names its Losant action in `config.action`; the authenticate
 * hook checks the bearer token and its scopes before the handler, and the
 * handler calls the same use case as the page.
 */
export async function apiPlugin(api: FastifyInstance, opts: { routes: ((api: FastifyInstance) => Promise<void>)[] }): Promise<void> {
  // Bodies are checked as sent: an unknown field is an error (400), not silently dropped.
  // Query strings are coerced (`?page=2`), as Losant's client sends them.
  const ajv = new Ajv({ allErrors: false, coerceTypes: 'array', useDefaults: true, removeAdditional: false, strict: false });
  (ajvFormats as unknown as { default: (a: Ajv) => void }).default(ajv);
  api.setValidatorCompiler(({ schema }) => ajv.compile(schema));

  // R16.3: an OpenAPI 3 document built from the route schemas (served by docs-routes.ts).
  await api.register(fastifySwagger, {
    openapi: {
      info: { title: 'Orgplane REST API', version: '1.0.0', description: 'Speaks the wire format of Losant’s REST API v1 for what Orgplane has (SPEC §16).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // The Losant action a route performs: the scope a token needs (the docs page shows it).
    transform: ({ schema, url, route }) => {
      const action = (route.config as { action?: string } | undefined)?.action;
      return { schema: { ...schema, ...(action ? { 'x-losant-action': action } : {}) } as typeof schema, url };
    },
  });

  api.decorateRequest('apiPrincipal', null);
  // Before the body is validated: a call without a good token is a 401 whatever its body.
  api.addHook('preValidation', authenticate);

  api.setErrorHandler(async (error: FastifyError, request, reply) => {
    let status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    let message: string;
    if (error instanceof HttpError) message = error.message;
    else if (error.validation) {
      // Name the field an unknown property is (ajv's message does not).
      const extra = error.validation[0]?.keyword === 'additionalProperties' ? (error.validation[0].params as { additionalProperty?: string }).additionalProperty : undefined;
      message = extra ? `${error.message}: ${extra}.` : `${error.message}.`;
    }
    else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = 'The body is too large.';
    else if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      status = 400;
      message = 'The body is not valid JSON.';
    } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      status = 415;
      message = 'Send the body as JSON, with the header Content-Type: application/json.';
    } else if (status < 500) message = error.message;
    else {
      request.log.error({ err: error, url: redactUrl(request.url), method: request.method }, 'API request failed');
      message = 'Something went wrong on our side. It has been logged; please try again.';
    }
    return reply.code(status).send({ type: errorType(status), message });
  });
  api.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({ type: 'NotFound', message: `There is no API route ${request.method} ${redactUrl(request.url.split('?')[0]!)}.` }),
  );

  // One file per Losant resource group: log-in, me and tokens, docs, organizations,
  // members/invitations/audit log, applications/devices/keys, dashboards, device log-in.
  await api.register(authRoutes);
  await api.register(meRoutes);
  await api.register(tokensRoutes);
  await api.register(docsRoutes);
  await api.register(orgsRoutes);
  await api.register(membersRoutes);
  await api.register(applicationApiRoutes);
  await api.register(dashboardApiRoutes);
  await api.register(deviceAuthRoutes);
  for (const routes of opts.routes) await api.register(routes);
}
