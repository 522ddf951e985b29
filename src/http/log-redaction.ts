/**
 * R13.4: what request logs may show of a URL. Invitation and share tokens
 * are stored hashed, so a log line must not hold them in clear either:
 * secret path segments and secret query parameters become `[redacted]`,
 * also when a URL carries another URL in a parameter (`/login?next=/invites/…`).
 */

/** Paths whose next segment is a secret: the invitation link and a dashboard's share link. */
const SECRET_SEGMENT_AFTER = /(\/(?:invites|d)\/)[^/?#]+/g;
/** Any path segment that looks like a random token (32+ URL-safe characters) is taken for one. */
const TOKEN_LIKE_SEGMENT = /(\/)[A-Za-z0-9_-]{32,}(?=[/?#]|$)/g;
/** Query parameters that hold secrets by their name. */
const SECRET_PARAMS = new Set(['token', 'secret', 'password', 'key', 'code', 'session_id', '_csrf']);

const REDACTED = '[redacted]';

function redactPath(path: string): string {
  return path.replace(SECRET_SEGMENT_AFTER, `$1${REDACTED}`).replace(TOKEN_LIKE_SEGMENT, `$1${REDACTED}`);
}

export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const path = redactPath(q === -1 ? url : url.slice(0, q));
  if (q === -1) return path;
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(url.slice(q + 1));
  } catch {
    return `${path}?${REDACTED}`;
  }
  const out: string[] = [];
  for (const [name, value] of params) {
    const shown = SECRET_PARAMS.has(name.toLowerCase()) ? REDACTED : redactPath(value);
    out.push(`${encodeURIComponent(name)}=${shown === REDACTED ? REDACTED : encodeURIComponent(shown)}`);
  }
  return `${path}?${out.join('&')}`;
}

/** Fastify's request serializer with the URL redacted. */
export function redactedRequest(request: { method: string; url: string; host?: string; ip?: string; socket?: { remotePort?: number } }) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
