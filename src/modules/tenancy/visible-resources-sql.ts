import type { VisibleResources } from './policy.ts';

/**
 * The `visibleResources` filter as a condition on `column` for a query:
 * `null` when the actor sees none of them (no query needed).
 */
export function visibleResourcesWhere(visible: VisibleResources, column: string): { sql: string; bindings: number[] } | null {
  if ('only' in visible) {
    if (visible.only.length === 0) return null;
    return { sql: ` AND ${column} IN (${visible.only.map(() => '?').join(', ')})`, bindings: [...visible.only] };
  }
  if (visible.except.length === 0) return { sql: '', bindings: [] };
  return { sql: ` AND ${column} NOT IN (${visible.except.map(() => '?').join(', ')})`, bindings: [...visible.except] };
}
