import type { VisibleResources } from './policy.ts';

/**
 * The `visibleResources` filter as a condition on `column` for a query:
 * `null` when the actor sees none of them (no query needed).
 *
 * The ids travel as one JSON array parameter, so the SQL text is the same
 * whatever their number: each text is prepared once (PostgreSQL names a
 * bounded number of statements a process; SQLite keeps a bounded cache), and
 * one member's hundred overrides do not make a hundred texts.
 */
export function visibleResourcesWhere(visible: VisibleResources, column: string, postgres: boolean): { sql: string; bindings: string[] } | null {
  const ids = 'only' in visible ? visible.only : visible.except;
  if (ids.length === 0) return 'only' in visible ? null : { sql: '', bindings: [] };
  const list = postgres ? 'SELECT value::int FROM json_array_elements_text(?::json)' : 'SELECT value FROM json_each(?)';
  return { sql: ` AND ${column} ${'only' in visible ? 'IN' : 'NOT IN'} (${list})`, bindings: [JSON.stringify(ids)] };
}
