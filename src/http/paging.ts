/**
 * Paged lists: `?page=` read the same way everywhere, and the pager's links.
 * A page number that is not a whole number from 1 to 100,000 reads as the
 * first page, as on the back-office lists; a page past the last within that
 * range is sent to the last one by the route (it knows the total only after
 * reading).
 */

/** `?page=` as a page number from 1. */
export function pageParam(value: unknown): number {
  const n = typeof value === 'string' ? Number.parseInt(value, 10) : 1;
  return Number.isSafeInteger(n) && n >= 1 && n <= 100_000 ? n : 1;
}

/** The rows of page `page` of `size` each, as a query's LIMIT and OFFSET. */
export const pageWindow = (page: number, size: number) => ({ limit: size, offset: (page - 1) * size });

/** The last page holding any of `total` rows, for a `?page=` past it. */
export const lastPage = (total: number, size: number) => Math.max(1, Math.ceil(total / size));

export interface Pager {
  page: number;
  pages: number;
  prevHref: string | null;
  nextHref: string | null;
  label: string;
}

/** What views/partials/pager.eta shows: "Page 2 of 3" with Previous and Next links to `path?page=n`. */
export function pager(path: string, page: number, total: number, size: number, label: string): Pager {
  const pages = lastPage(total, size);
  const href = (n: number) => (n === 1 ? path : `${path}?page=${n}`);
  return { page, pages, prevHref: page > 1 ? href(page - 1) : null, nextHref: page < pages ? href(page + 1) : null, label };
}

