import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fieldErrors, formBody, safeNextPath, formText } from '../../http/forms.ts';
import { renderPage, seeOther, setFlash } from '../../http/render.ts';
import { logIn } from './log-in.ts';
import { logInSchema, PASSWORD_MIN, signUpSchema } from './schemas.ts';
import { signUp } from './sign-up.ts';

type FormState = {
  values: { name?: string; email?: string };
  errors: Record<string, string>;
  next?: string | undefined;
};

const str = (v: unknown) => formText(v, 400);

export async function accountRoutes(app: FastifyInstance): Promise<void> {
  const { db, clock, config } = app.deps;
  const authLimit = { rateLimit: { max: config.authRateLimit, timeWindow: '1 minute' } };

  const showSignUp = (req: FastifyRequest, reply: FastifyReply, state: FormState, status = 200) =>
    renderPage(req, reply, 'pages/signup.eta', { ...state, passwordMin: PASSWORD_MIN }, { status, title: 'Sign up · Orgplane' });
  const showLogIn = (req: FastifyRequest, reply: FastifyReply, state: FormState, status = 200) =>
    renderPage(req, reply, 'pages/login.eta', state, { status, title: 'Log in · Orgplane' });

  /** Starts a fresh session for the user: a new id at every login (R13.1). */
  async function startSession(request: FastifyRequest, userId: number) {
    await request.session.regenerate();
    request.session.userId = userId;
  }

  app.get('/signup', async (request, reply) => {
    const next = safeNextPath((request.query as Record<string, unknown>).next);
    if (request.user) return seeOther(reply, next ?? '/sandbox');
    return showSignUp(request, reply, { values: {}, errors: {}, next });
  });

  app.post('/signup', { config: authLimit }, async (request, reply) => {
    const body = formBody(request.body);
    const next = safeNextPath(body.next);
    const values = { name: str(body.name), email: str(body.email) };
    const parsed = signUpSchema.safeParse(body);
    if (!parsed.success) return showSignUp(request, reply, { values, errors: fieldErrors(parsed.error), next }, 422);
    const result = await signUp(db, clock, parsed.data);
    if (!result.ok) {
      switch (result.reason) {
        case 'email_taken':
          return showSignUp(
            request,
            reply,
            { values, errors: { email: 'An account with this email already exists. Log in instead.' }, next },
            409,
          );
      }
    }
    await startSession(request, result.user.id);
    setFlash(reply, `Welcome to Orgplane, ${result.user.name}. This is your Sandbox.`);
    return seeOther(reply, next ?? '/sandbox');
  });

  app.get('/login', async (request, reply) => {
    const next = safeNextPath((request.query as Record<string, unknown>).next);
    if (request.user) return seeOther(reply, next ?? '/sandbox');
    return showLogIn(request, reply, { values: {}, errors: {}, next });
  });

  app.post('/login', { config: authLimit }, async (request, reply) => {
    const body = formBody(request.body);
    const next = safeNextPath(body.next);
    const values = { email: str(body.email) };
    const parsed = logInSchema.safeParse(body);
    if (!parsed.success) return showLogIn(request, reply, { values, errors: fieldErrors(parsed.error), next }, 422);
    const result = await logIn(db, parsed.data);
    if (!result.ok) {
      switch (result.reason) {
        case 'invalid_credentials':
          return showLogIn(request, reply, { values, errors: { _form: 'Email or password is incorrect.' }, next }, 401);
      }
    }
    await startSession(request, result.user.id);
    return seeOther(reply, next ?? '/sandbox');
  });

  app.post('/logout', async (request, reply) => {
    if (request.session.userId !== undefined) await request.session.destroy();
    setFlash(reply, 'You are logged out.');
    return seeOther(reply, '/login');
  });
}
