import autocannon, { type Request } from 'autocannon';
import { procCpuSeconds } from './processes.ts';

export interface LoadResult {
  /** Successful (2xx) requests per second over the run. */
  rps: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** CPU time the server process spent per request (user + system), when its pid is known. */
  serverCpuMs?: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  method?: 'GET' | 'POST';
  path?: string;
  headers?: Record<string, string>;
  /** The body, or a function that makes each request's body. */
  body?: string | (() => string);
  /** Each request's path, taken in turn (spreads the device API over many devices). */
  paths?: string[];
  /** The server's pid: its CPU time per request is recorded (less sensitive to a busy machine than req/s). */
  pid?: number;
}

export async function run(opts: LoadOptions, seconds: number): Promise<LoadResult> {
  const { body, paths } = opts;
  const base: Request = {
    method: opts.method ?? 'GET',
    path: opts.path ?? '/',
    headers: opts.headers ?? {},
    ...(typeof body === 'string' ? { body } : {}),
  };
  let turn = 0;
  const perRequest = paths !== undefined || typeof body === 'function';
  const requests: Request[] = [
    perRequest
      ? {
          ...base,
          setupRequest: (req) => ({
            ...req,
            ...(paths ? { path: paths[turn++ % paths.length]! } : {}),
            ...(typeof body === 'function' ? { body: body() } : {}),
          }),
        }
      : base,
  ];
  const cpuBefore = opts.pid ? procCpuSeconds(opts.pid) : 0;
  const r = await autocannon({ url: opts.url, connections: opts.connections, duration: seconds, requests, timeout: 30 });
  const cpu = opts.pid ? procCpuSeconds(opts.pid) - cpuBefore : 0;
  return {
    ...(opts.pid ? { serverCpuMs: (cpu * 1000) / Math.max(1, r.requests.total) } : {}),
    rps: r['2xx'] / r.duration,
    meanMs: r.latency.mean,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

function warnFailures(opts: LoadOptions, result: LoadResult) {
  if (result.non2xx > 0 || result.errors > 0) {
    console.warn(`  ! ${result.non2xx} non-2xx answers and ${result.errors} errors of ${result.requests} requests to ${opts.url}${opts.path ?? opts.paths?.[0]}`);
  }
}

/** A warm-up run (JIT, template cache, database pages), then the measured run. */
export async function measure(opts: LoadOptions): Promise<LoadResult> {
  if (opts.warmupSeconds > 0) await run(opts, opts.warmupSeconds);
  const result = await run(opts, opts.seconds);
  warnFailures(opts, result);
  return result;
}

/**
 * Two targets measured in alternating slices (a, b, a, b, …) after a warm-up
 * of each, so drift in a noisy machine's load falls on both alike.
 */
export async function measurePair(a: LoadOptions, b: LoadOptions, slices: number): Promise<[LoadResult, LoadResult]> {
  if (a.warmupSeconds > 0) await run(a, a.warmupSeconds);
  if (b.warmupSeconds > 0) await run(b, b.warmupSeconds);
  const ra: LoadResult[] = [];
  const rb: LoadResult[] = [];
  for (let i = 0; i < slices; i++) {
    ra.push(await run(a, a.seconds / slices));
    rb.push(await run(b, b.seconds / slices));
  }
  const merged = [combine(ra), combine(rb)] as [LoadResult, LoadResult];
  warnFailures(a, merged[0]);
  warnFailures(b, merged[1]);
  return merged;
}

/** Several runs of equal length as one: rates and means weighted by requests; p99 the worst slice's. */
function combine(runs: LoadResult[]): LoadResult {
  const requests = runs.reduce((s, r) => s + r.requests, 0);
  const weighted = (f: (r: LoadResult) => number) => runs.reduce((s, r) => s + f(r) * r.requests, 0) / Math.max(1, requests);
  return {
    rps: runs.reduce((s, r) => s + r.rps, 0) / runs.length,
    meanMs: weighted((r) => r.meanMs),
    p50Ms: weighted((r) => r.p50Ms),
    p99Ms: Math.max(...runs.map((r) => r.p99Ms)),
    requests,
    ...(runs.every((r) => r.serverCpuMs !== undefined) ? { serverCpuMs: weighted((r) => r.serverCpuMs!) } : {}),
    non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
    errors: runs.reduce((s, r) => s + r.errors, 0),
  };
}

/** Cookies as a browser keeps them: the latest value of each name. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Logs in through the real form (GET /login for the CSRF token, POST /login)
 * and returns the Cookie header a browser would send afterwards: the session
 * and the CSRF secret.
 */
export async function logIn(baseUrl: string, email: string, password: string): Promise<string> {
  const jar = new CookieJar();
  const page = await fetch(`${baseUrl}/login`, { redirect: 'manual' });
  jar.take(page);
  const html = await page.text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('log-in page has no CSRF token');
  const res = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
    body: new URLSearchParams({ _csrf: token, email, password }).toString(),
  });
  jar.take(res);
  await res.arrayBuffer();
  if (res.status !== 303) throw new Error(`log-in answered ${res.status}, not 303`);
  const cookie = jar.header();
  if (!cookie.includes('orgplane.sid=')) throw new Error('log-in set no session cookie');
  return cookie;
}

/** One request that must succeed and mention `expect`: the bench measures real pages, not error pages. */
export async function check(url: string, init: RequestInit, expect: { status: number; contains?: string }): Promise<void> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const text = await res.text();
  if (res.status !== expect.status || (expect.contains && !text.includes(expect.contains))) {
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${res.status}${expect.contains ? ' without ' + JSON.stringify(expect.contains) : ''}: ${text.slice(0, 300)}`);
  }
}
