import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { can, RESOURCE_ROLES, ROLES, visibleResources, type ResourceRole, type ResourceType } from '../../src/modules/tenancy/policy.ts';
import { visibleResourcesWhere } from '../../src/modules/tenancy/visible-resources-sql.ts';

/**
 * Issue 18: the overview and the full lists read only what a member may see
 * by a filter in SQL instead of asking `can` row by row. For every role,
 * every set of overrides and every resource, the filter and `can(actor,
 * 'resources.view', …)` agree (R2.2, R2.6).
 */

const passes = (filter: ReturnType<typeof visibleResources>, id: number) => ('only' in filter ? filter.only.includes(id) : !filter.except.includes(id));

describe('visibleResources agrees with can (R2.6)', () => {
  it('for all roles, overrides and resources', () => {
    const arbitraryOverride = fc.record({
      type: fc.constantFrom<ResourceType>('application', 'dashboard'),
      id: fc.integer({ min: 1, max: 40 }),
      role: fc.constantFrom<ResourceRole>(...RESOURCE_ROLES),
    });
    fc.assert(
      fc.property(fc.constantFrom(...ROLES, null), fc.array(arbitraryOverride, { maxLength: 30 }), (role, overrides) => {
        const actor = { role, resourceRoles: new Map(overrides.map((o) => [`${o.type}:${o.id}`, o.role] as const)) };
        for (const type of ['application', 'dashboard'] as const) {
          const filter = visibleResources(actor, type);
          for (let id = 1; id <= 45; id++) expect(passes(filter, id)).toBe(can(actor, 'resources.view', { type, id }));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('as SQL: nothing to read, every row, all but some, or only some; one text whatever the number of ids', () => {
    expect(visibleResourcesWhere({ only: [] }, 'a.id', false)).toBeNull();
    expect(visibleResourcesWhere({ except: [] }, 'a.id', true)).toEqual({ sql: '', bindings: [] });
    expect(visibleResourcesWhere({ except: [3, 9] }, 'a.id', false)).toEqual({ sql: ' AND a.id NOT IN (SELECT value FROM json_each(?))', bindings: ['[3,9]'] });
    expect(visibleResourcesWhere({ only: [4] }, 'id', true)).toEqual({ sql: ' AND id IN (SELECT value::int FROM json_array_elements_text(?::json))', bindings: ['[4]'] });
    expect(visibleResourcesWhere({ except: [1, 2, 3, 4, 5] }, 'a.id', true)!.sql).toBe(visibleResourcesWhere({ except: [7] }, 'a.id', true)!.sql);
  });
});
