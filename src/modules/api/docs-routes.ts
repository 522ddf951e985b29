import type { FastifyInstance } from 'fastify';

/**
 * R16.3: the API describes itself. GET /api/docs.json is the OpenAPI 3
 * document @fastify/swagger builds from the route schemas; GET /api/docs is
 * that document as a page, written here on the server (no script, no CDN:
 * the CSP allows scripts from this site only). Both are public.
 */

interface SchemaObject {
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  items?: SchemaObject;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  description?: string;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: SchemaObject;
  description?: string;
}
interface Operation {
  tags?: string[];
  summary?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: SchemaObject }> };
  'x-losant-action'?: string;
}
export interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** One line describing a JSON schema: its type and the constraints a caller must meet. */
export function describeSchema(s: SchemaObject | undefined): string {
  if (!s) return '';
  const type = Array.isArray(s.type) ? s.type.join(' or ') : (s.type ?? 'any');
  const parts: string[] = [type === 'array' && s.items ? `array of ${describeSchema(s.items)}` : type];
  if (s.format) parts.push(s.format);
  if (s.enum) parts.push(`one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (s.minLength !== undefined || s.maxLength !== undefined) parts.push(`${s.minLength ?? 0}–${s.maxLength ?? '…'} characters`);
  if (s.minimum !== undefined || s.maximum !== undefined) parts.push(`${s.minimum ?? '…'} to ${s.maximum ?? '…'}`);
  if (s.maxItems !== undefined) parts.push(`at most ${s.maxItems} items`);
  if (s.pattern && !s.enum) parts.push(`matching /${s.pattern}/`);
  return parts.join(', ');
}

const fieldRows = (rows: { name: string; where: string; required: boolean; schema?: SchemaObject; description?: string }[]) =>
  rows.length === 0
    ? ''
    : `<table class="table table-stack"><thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Required</th><th scope="col">Type</th></tr></thead><tbody>${rows
        .map(
          (r) =>
            `<tr><td><code>${escapeHtml(r.name)}</code></td><td data-label="In">${escapeHtml(r.where)}</td><td data-label="Required">${r.required ? 'yes' : 'no'}</td><td data-label="Type" class="api-type">${escapeHtml(describeSchema(r.schema))}${
              r.description ? ` — ${escapeHtml(r.description)}` : ''
            }</td></tr>`,
        )
        .join('')}</tbody></table>`;

const slug = (s: string) => s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();

/** The OpenAPI document as an HTML page: endpoints grouped by tag, each with its method, path, summary, authentication, parameters and body fields. */
export function renderDocsPage(doc: OpenApiDocument): string {
  const byTag = new Map<string, { method: string; path: string; op: Operation }[]>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push({ method: method.toUpperCase(), path, op });
    }
  }
  const tags = [...byTag.keys()].sort((a, b) => a.localeCompare(b));
  const sections = tags.map((tag) => {
    const ops = byTag.get(tag)!.sort((a, b) => a.path.localeCompare(b.path) || METHODS.indexOf(a.method.toLowerCase()) - METHODS.indexOf(b.method.toLowerCase()));
    const entries = ops.map(({ method, path, op }) => {
      const action = op['x-losant-action'];
      const auth = action
        ? `Bearer token (<code>Authorization: Bearer &lt;token&gt;</code>) whose scopes allow <code>${escapeHtml(action)}</code>.`
        : 'No user token: this route takes its own credentials (see the summary), or none.';
      const params = (op.parameters ?? []).map((p) => ({ name: p.name, where: p.in, required: Boolean(p.required), schema: p.schema, description: p.description }));
      const body = op.requestBody?.content?.['application/json']?.schema;
      const bodyRows = Object.entries(body?.properties ?? {}).map(([name, schema]) => ({ name, where: 'body', required: body?.required?.includes(name) ?? false, schema }));
      return `<article class="card api-op" id="${escapeHtml(slug(`${method} ${path}`))}">
<h3><span class="badge">${method}</span> <code>${escapeHtml(path)}</code></h3>
${op.summary ? `<p>${escapeHtml(op.summary)}</p>` : ''}
<p><strong>Authentication:</strong> ${auth}</p>
${params.length ? `<h4>Parameters</h4>${fieldRows(params)}` : ''}
${bodyRows.length ? `<h4>Body fields</h4><p>Unknown fields are refused (400 Validation).</p>${fieldRows(bodyRows)}` : ''}
</article>`;
    });
    return `<section id="tag-${escapeHtml(slug(tag))}"><h2>${escapeHtml(tag)}</h2>${entries.join('\n')}</section>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.info.title)} · Orgplane</title>
<link rel="stylesheet" href="/static/css/app.css">
</head>
<body>
<main class="container">
<h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
${doc.info.description ? `<p>${escapeHtml(doc.info.description)}</p>` : ''}
<p>Every path is under <code>/api</code>. Send a token as <code>Authorization: Bearer &lt;token&gt;</code>: get one from <code>POST /api/auth/user</code> or make a personal one on your account page (<a href="/account#api-tokens">/account</a>). Errors answer <code>{ "type": "NotFound", "message": "…" }</code> with the HTTP status telling the kind (400 Validation, 401 Unauthorized, 402 PaymentRequired, 403 Forbidden, 404 NotFound, 409 Conflict, 429 TooManyRequests with Retry-After). The machine-readable document: <a href="/api/docs.json">/api/docs.json</a> (OpenAPI 3).</p>
<nav aria-label="Resources"><ul>${tags.map((t) => `<li><a href="#tag-${escapeHtml(slug(t))}">${escapeHtml(t)}</a></li>`).join('')}</ul></nav>
${sections.join('\n')}
</main>
</body>
</html>`;
}

export async function docsRoutes(api: FastifyInstance): Promise<void> {
  api.get('/docs.json', { schema: { tags: ['docs'], summary: 'This API as an OpenAPI 3 document (public)' } }, async () => api.swagger());
  api.get('/docs', { schema: { tags: ['docs'], summary: 'This API as a page to read (public)' } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(renderDocsPage(api.swagger() as unknown as OpenApiDocument)),
  );
}
