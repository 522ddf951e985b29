import { apiValidation } from './errors.ts';

/**
 * R16.1: Losant's list envelope and its query parameters: `sortField`,
 * `sortDirection` (asc|desc), `page` (from 0), `perPage` (1–1000, default
 * 100), `filterField` and `filter` (case-insensitive, `*` matches anything).
 * Lists here are one owner's (an organization's members, applications…),
 * bounded by its plan's limits, so they are sorted and cut in memory after
 * the permission-checked read.
 */
export interface ListQuery {
  sortField?: string;
  sortDirection?: string;
  page?: string | number;
  perPage?: string | number;
  filterField?: string;
  filter?: string;
}

export const listQuerySchema = {
  sortField: { type: 'string', maxLength: 64 },
  sortDirection: { type: 'string', enum: ['asc', 'desc', 'ASC', 'DESC', ''] },
  page: { type: 'integer', minimum: 0, maximum: 1_000_000 },
  perPage: { type: 'integer', minimum: 1, maximum: 1000 },
  filterField: { type: 'string', maxLength: 64 },
  filter: { type: 'string', maxLength: 1024 },
} as const;

export interface ListEnvelope<T> {
  items: T[];
  count: number;
  totalCount: number;
  perPage: number;
  page: number;
  sortField: string;
  sortDirection: 'asc' | 'desc';
  filterField?: string;
  filter?: string;
}

type Value = string | number | boolean | null | undefined;

/**
 * Sorts, filters and pages `items` (already presented for the wire).
 * `fields` names the fields a client may sort and filter by.
 */
export function listEnvelope<T extends object>(
  items: T[],
  query: ListQuery,
  opts: { fields: readonly (keyof T & string)[]; defaultSort: keyof T & string },
): ListEnvelope<T> {
  const sortField = query.sortField || opts.defaultSort;
  if (!opts.fields.includes(sortField as keyof T & string)) {
    throw apiValidation(`sortField must be one of ${opts.fields.join(', ')}.`);
  }
  const sortDirection = String(query.sortDirection || 'asc').toLowerCase() === 'desc' ? 'desc' : 'asc';
  const perPage = query.perPage === undefined ? 100 : Number(query.perPage);
  const page = query.page === undefined ? 0 : Number(query.page);
  let filtered = items;
  if (query.filter !== undefined && query.filter !== '') {
    const filterField = query.filterField || opts.defaultSort;
    if (!opts.fields.includes(filterField as keyof T & string)) {
      throw apiValidation(`filterField must be one of ${opts.fields.join(', ')}.`);
    }
    const pattern = new RegExp(
      '^' + query.filter.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$',
      'i',
    );
    filtered = items.filter((item) => pattern.test(String((item as Record<string, Value>)[filterField] ?? '')));
  }
  const key = (item: T) => (item as Record<string, Value>)[sortField];
  const sorted = [...filtered].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x ?? '').localeCompare(String(y ?? ''), 'en', { sensitivity: 'base' });
    return sortDirection === 'desc' ? -order : order;
  });
  const pageItems = sorted.slice(page * perPage, page * perPage + perPage);
  return {
    items: pageItems,
    count: pageItems.length,
    totalCount: filtered.length,
    perPage,
    page,
    sortField,
    sortDirection,
    ...(query.filter ? { filterField: query.filterField || opts.defaultSort, filter: query.filter } : {}),
  };
}
