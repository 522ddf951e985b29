import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

const SESSION_COOKIE = 'orgplane.sid';

/**
 * A person with a browser, through app.inject: keeps cookies, picks up the
 * CSRF token from the pages it sees and sends it with its forms. The token
 * belongs to the session (R13.4): when the session cookie changes (log-in,
 * log-out) the agent forgets its token and reads a fresh one from the next
 * page, as a browser does after the redirect.
 */
export class Agent {
  private cookies = new Map<string, string>();
  private csrfToken: string | undefined;
  constructor(
    private readonly app: FastifyInstance,
    private readonly remoteAddress = '127.0.0.1',
  ) {}

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({ method: 'GET', url, headers: { ...this.cookieHeader(), ...headers }, remoteAddress: this.remoteAddress });
    this.absorb(res);
    return res;
  }

  /** Posts a form as a browser would, with the CSRF token of a page it has seen. */
  async post(
    url: string,
    fields: Record<string, string | string[]> = {},
    opts: { csrf?: boolean; headers?: Record<string, string> } = {},
  ): Promise<LightMyRequestResponse> {
    const body = new URLSearchParams();
    if (opts.csrf !== false) body.append('_csrf', await this.token());
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
    const res = await this.app.inject({
      method: 'POST',
      url,
      payload: body.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...this.cookieHeader(), ...opts.headers },
      remoteAddress: this.remoteAddress,
    });
    this.absorb(res);
    return res;
  }

  async token(): Promise<string> {
    if (!this.csrfToken) {
      // Log-in's form for a visitor; a signed-in agent is sent on, to a page with forms of its own.
      const res = await this.get('/login');
      if (!this.csrfToken && res.statusCode === 303 && res.headers.location) await this.get(String(res.headers.location));
    }
    if (!this.csrfToken) throw new Error('no CSRF token found on /login');
    return this.csrfToken;
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  forgetCookie(name: string): void {
    this.cookies.delete(name);
  }

  private cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  }

  private absorb(res: LightMyRequestResponse): void {
    const sessionBefore = this.cookies.get(SESSION_COOKIE);
    for (const c of res.cookies) {
      const expired = (c.expires && c.expires.getTime() <= Date.now()) || c.maxAge === 0;
      if (expired || c.value === '') this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    if (this.cookies.get(SESSION_COOKIE) !== sessionBefore) this.csrfToken = undefined;
    const match = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (match) this.csrfToken = match[1];
  }
}
