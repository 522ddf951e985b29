/**
 * Every address the browser shows answers GET (reload, Back, a bookmark).
 * A form shown again after a POST (its errors, a secret shown once) leaves a
 * browser without JavaScript on the form's action, which answers only POST;
 * with htmx, `HX-Push-Url: false` keeps the page's own address instead
 * (http/render.ts). A GET of such an action is sent to the nearest page above
 * it — `/applications/7/keys` to `/applications/7`, `/orgs/new/continue` to
 * `/orgs/new` — which decides for itself who may see it. Built from the router's
 * own list, so a new form is covered without anyone listing it.
 */
export function postOnlyFallback(routes: readonly { method: string; url: string }[]): (path: string) => string | null {
  const compile = (url: string) =>
    new RegExp(
      `^${url
        .split('/')
        .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/')}/?$`,
    );
  const getUrls = new Set(routes.filter((r) => r.method === 'GET').map((r) => r.url));
  const pages = [...getUrls].filter((u) => !u.includes('*') && !u.endsWith('.csv')).map(compile);
  const postOnly = [...new Set(routes.filter((r) => r.method === 'POST' && !getUrls.has(r.url)).map((r) => r.url))]
    .filter((u) => !u.startsWith('/api/') && !u.startsWith('/webhooks/'))
    .map(compile);
  return (path) => {
    if (!postOnly.some((re) => re.test(path))) return null;
    const segments = path.split('/').filter(Boolean);
    for (let n = segments.length - 1; n >= 0; n--) {
      const candidate = `/${segments.slice(0, n).join('/')}`;
      if (pages.some((re) => re.test(candidate))) return candidate;
    }
    return null;
  };
}
