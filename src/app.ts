import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifySession from '@fastify/session';
import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import helmet from 'helmet';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyPluginOptions, type FastifyRegisterOptions, type FastifyReply, type FastifyRequest, type RegisterOptions } from 'fastify';
import { DAY_MS, systemClock } from './clock.ts';
import type { Deps } from './deps.ts';
import { HttpError } from './http/errors.ts';
import { installInputBoundary, installJsonDepthLimit } from './http/input-boundary.ts';
import { redactedRequest, redactUrl } from './http/log-redaction.ts';
import { postOnlyFallback } from './http/get-fallback.ts';
import { renderPage } from './http/render.ts';
import { SqlSessionStore } from './http/session-store.ts';
import './http/types.ts';
import { findUserById } from './modules/accounts/queries.ts';
import { sessionHoldsCredentials } from './modules/accounts/session-credentials.ts';
import { accountRoutes } from './modules/accounts/routes.ts';
import { invitationBehind } from './modules/invitations/invitation-behind.ts';
import { adminRoutes } from './modules/admin/routes.ts';
import { applicationRoutes } from './modules/applications/routes.ts';
import { invoiceRoutes } from './modules/billing/invoice-routes.ts';
import { billingRoutes } from './modules/billing/routes.ts';
import { invitationRoutes } from './modules/invitations/routes.ts';
import { memberRoutes, membersPage } from './modules/members/routes.ts';
import { usageRoutes } from './modules/usage/usage-routes.ts';
import { stripeWebhookRoutes } from './modules/billing/webhooks.ts';
import { dashboardRoutes } from './modules/dashboards/routes.ts';
import { deviceApiRoutes } from './modules/device-api/routes.ts';
import { apiPlugin } from './modules/api/plugin.ts';
import { headerOrganizations } from './modules/organizations/header-organizations.ts';
import { organizationRoutes } from './modules/organizations/routes.ts';
import { sandboxRoutes } from './modules/sandbox/routes.ts';
import { exportRoutes } from './modules/applications/export-routes.ts';
import { organizationHoldings } from './modules/billing/owner-counts.ts';
import { formatCents } from './money.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const htmxDir = dirname(require.resolve('htmx.org/dist/htmx.min.js'));

const SESSION_MAX_AGE_MS = 30 * DAY_MS;
/** SECURITY.md: how long a client may take to send one request. */
export const REQUEST_TIMEOUT_MS = 30_000;
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export type App = FastifyInstance;

/** Builds the whole HTTP application from its dependencies; server.ts only listens. */
export async function buildApp(deps: Deps, opts: { logStream?: NodeJS.WritableStream } = {}): Promise<App> {
  const { config } = deps;
  const app = Fastify({
    // R13.4: request logs never show invitation or share tokens.
    logger: { level: config.logLevel, serializers: { req: redactedRequest }, ...(opts.logStream ? { stream: opts.logStream } : {}) },
    // R13.3: X-Forwarded-* count only from the proxies TRUST_PROXY names.
    trustProxy: trustProxyOption(config.trustProxy),
    bodyLimit: 1024 * 1024,
    // A client has this long to send its whole request (headers and body):
    // a slow sender cannot hold a connection, nor keep a request waiting to
    // run long after its session was signed out. Fastify's default is none.
    requestTimeout: REQUEST_TIMEOUT_MS,
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.decorate('deps', deps);
  // Every route, as registered: the authorization matrix test walks this list.
  const routeList: { method: string; url: string }[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routeList.push({ method, url: route.url });
  });
  app.decorateRequest('user', null);

  // External plugins first (fastify/demo order): security headers, cookies, session, csrf.
  // With Stripe, Stripe.js and its card frames run on our pages and the
  // no-JavaScript card form posts on to Stripe Checkout (R9.6).
  const stripe = deps.gateway.kind === 'stripe';
  // The same headers on every response: helmet's middleware is built once
  // here (@fastify/helmet built it anew for every request, ~25 µs each).
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: stripe ? ["'self'", 'https://js.stripe.com'] : ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: stripe ? ["'self'", 'https://checkout.stripe.com'] : ["'self'"],
        frameAncestors: ["'none'"],
        ...(stripe
          ? { frameSrc: ['https://js.stripe.com', 'https://hooks.stripe.com'], connectSrc: ["'self'", 'https://api.stripe.com'] }
          : {}),
        upgradeInsecureRequests: config.isProduction ? [] : null,
      },
    },
    strictTransportSecurity: config.isProduction,
  });
  app.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (err?: unknown) => done(err as Error | undefined)));
  // R13.4: with an https PUBLIC_URL every cookie is Secure, also when TLS ends
  // at a proxy we do not trust for X-Forwarded-Proto: the public scheme is the
  // one PUBLIC_URL names (the session plugin saves no session it thinks would
  // travel over plain HTTP).
  if (config.secureCookies) {
    app.addHook('onRequest', (request, _reply, done) => {
      Object.defineProperty(request, 'protocol', { value: 'https' });
      done();
    });
  }
  await app.register(fastifyFormbody);
  installJsonDepthLimit(app);
  // R13.5: no control characters in any text input, on either database.
  installInputBoundary(app);

  app.setErrorHandler(async (error: Error & { statusCode?: number; code?: string }, request, reply) => {
    let status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    let message: string;
    let title: string | undefined;
    if (error instanceof HttpError) {
      message = error.message;
      title = error.title;
    } else if (error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET') {
      status = 403;
      title = 'This form has expired';
      message = 'For your security the form expired. Go back, reload the page and try again.';
    } else if (status === 413) {
      message = 'That request is too large.';
    } else if (status < 500) {
      message = error.message;
    } else {
      request.log.error({ err: error, url: redactUrl(request.url), method: request.method }, 'request failed');
      message = 'Something went wrong on our side. It has been logged; please try again.';
      title = 'Something went wrong';
    }
    return sendError(request, reply, status, message, title);
  });

  await app.register(fastifyStatic, {
    root: join(root, 'public'),
    prefix: '/static/',
    maxAge: config.isProduction ? '1d' : 0,
  });
  // htmx is served from its npm package, never a CDN.
  const htmxSource = readFileSync(join(htmxDir, 'htmx.min.js'));
  app.get('/static/vendor/htmx.min.js', async (_request, reply) =>
    reply
      .type('application/javascript; charset=utf-8')
      .header('Cache-Control', config.isProduction ? 'public, max-age=86400' : 'no-cache')
      .send(htmxSource),
  );
  app.get('/health', async () => ({ ok: true }));

  // The routes no browser page calls stay outside the pages' context: devices,
  // API clients and Stripe send no session cookie and no CSRF token (a bearer
  // token or Stripe's signature is their authentication).
  const nonPageRoutes = [
    // R16: the REST API in a context of its own (bearer tokens only); the device API of R8.1 is one of its routes.
    route(apiPlugin, { prefix: '/api', routes: [deviceApiRoutes] }),
    // R9.6: Stripe's signed webhooks.
    route(stripeWebhookRoutes),
  ];
  for (const register of nonPageRoutes) await register(app);
  // The pages: cookies, sessions, CSRF and templates.
  await app.register(async (pages) => pageContext(pages, deps));

  return app;
}

/** Everything a browser sees: the session, its CSRF secret, the signed-in user, the templates and every page module. */
async function pageContext(app: FastifyInstance, deps: Deps): Promise<void> {
  const { config } = deps;
  await app.register(fastifyCookie, { secret: config.sessionSecret, parseOptions: { secure: config.secureCookies } });
  await app.register(fastifySession, {
    secret: config.sessionSecret,
    cookieName: 'orgplane.sid',
    // Session expiry is a security property measured in real time, not the
    // application clock that the demo control shifts (R11.3).
    store: new SqlSessionStore(deps.db, systemClock, SESSION_MAX_AGE_MS),
    saveUninitialized: false,
    rolling: false,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.secureCookies,
      maxAge: SESSION_MAX_AGE_MS,
      path: '/',
    },
  });
  // R13.4: the CSRF secret lives in the session, so a token is good only with
  // the session it was made for, and a new session (log-in, log-out) has a
  // new secret. Anonymous forms get a short anonymous session (http/render.ts).
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/session' });
  await app.register(fastifyView, {
    engine: { eta: new Eta({ autoEscape: true, autoTrim: [false, 'nl'] }) },
    root: join(root, 'views'),
    production: config.isProduction,
    // R13.6: a production server on the simulated gateway says so on every signed-in page, payment pages included.
    defaultContext: { formatCents, appName: 'Orgplane', isProduction: config.isProduction, simulatedPayments: config.isProduction && config.payments === 'simulated' },
  });

  // R13.1: every state-changing request of a page carries the CSRF token. A
  // preHandler, because on onRequest the form body is not parsed yet. (An
  // unknown /webhooks/ address lands on this context's 404 handler: it answers
  // 404, not a CSRF refusal.)
  app.addHook('preHandler', (request, reply, done) => {
    if (!UNSAFE_METHODS.has(request.method) || request.url.startsWith('/webhooks/')) return done();
    app.csrfProtection(request, reply, done);
  });

  // The signed-in user, looked up once per request. A session signed in
  // before the account's credentials last changed (a new password, a reset,
  // "Sign out other sessions") is over, even when a request still in flight
  // has written its row back after it was deleted (R1.4).
  app.addHook('preHandler', async (request) => {
    const userId = request.session?.userId;
    if (!userId) return;
    const user = await findUserById(deps.db, userId);
    if (!user) delete request.session.userId;
    else if (!sessionHoldsCredentials(request.session, user)) await request.session.regenerate();
    else request.user = user;
  });
  // R1.3: the header's Organizations dropdown, on every signed-in page (http/render.ts).
  app.decorate('headerOrganizations', headerOrganizations(deps.db));

  let pageAbove: ((path: string) => string | null) | undefined;
  app.setNotFoundHandler(async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD') {
      pageAbove ??= postOnlyFallback(app.routeList);
      const target = pageAbove(request.url.split('?')[0]!);
      if (target) return reply.code(303).redirect(target);
    }
    return sendError(request, reply, 404, 'We could not find that page. It may have moved, or you may not have access to it.', 'Page not found');
  });

  app.get('/', async (request, reply) => reply.code(303).redirect(request.user ? '/sandbox' : '/login'));

  // Every module's pages, in one list: a page's URL names its module. A
  // module below another gets what it needs of it as an option (modules/README.md).
  const pageRoutes = [
    route(accountRoutes, { invitationBehind }),
    route(sandboxRoutes),
    route(organizationRoutes),
    route(memberRoutes),
    route(invitationRoutes, { membersPage }),
    route(billingRoutes),
    route(invoiceRoutes),
    route(usageRoutes, { holdingsOf: organizationHoldings }),
    route(exportRoutes),
    route(applicationRoutes),
    route(dashboardRoutes),
    route(adminRoutes),
  ];
  for (const register of pageRoutes) await register(app);
}

/** An entry of the route lists above: a module's route plugin, with its options when it takes any. */
function route<Options extends FastifyPluginOptions>(
  plugin: FastifyPluginAsync<Options>,
  ...options: {} extends Options ? [options?: RegisterOptions & Options] : [options: RegisterOptions & Options]
): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    // No options is undefined, as Fastify's one-argument register takes it.
    await app.register(plugin, options[0] as FastifyRegisterOptions<Options>);
  };
}

/**
 * TRUST_PROXY as Fastify takes it. A hop count n trusts the n nearest hops
 * whatever their address (Fastify itself now refuses a bare number): right
 * only when nothing can reach the app but through those proxies.
 */
function trustProxyOption(trust: Deps['config']['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (trust === false) return false;
  if (typeof trust === 'number') return (_address: string, hop: number) => hop < trust;
  return trust;
}

async function sendError(request: FastifyRequest, reply: FastifyReply, status: number, message: string, title?: string) {
  // Signed webhooks answer JSON (the API context has its own handler: { type, message }).
  if (request.url.startsWith('/webhooks/')) {
    return reply.code(status).send({ error: message });
  }
  const heading =
    title ?? (status === 404 ? 'Page not found' : status === 403 ? 'Not allowed' : status >= 500 ? 'Something went wrong' : 'That did not work');
  try {
    return await renderPage(request, reply, 'errors/error.eta', { status, heading, message }, { status, title: heading, forms: false });
  } catch (err) {
    request.log.error({ err }, 'error page failed to render');
    return reply.code(status).type('text/plain; charset=utf-8').send(`${heading}\n\n${message}`);
  }
}
